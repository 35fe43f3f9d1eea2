import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Logger } from 'pino';
import { DECISION_ENTRYPOINT, type DecisionPolicy, type PolicyCache } from '../../check/index.js';
import type { KubernetesConfig } from '../../config/index.js';
import { AppError, REQUEST_LIMITS } from '../../core/index.js';
import {
  generateManifests,
  manifestsYaml,
  readPolicySettings,
  resolveGatekeeperOptions,
  storedVerdicts,
  type ScanResults,
  type SplitInput,
  type VerdictLookup,
} from '../../gatekeeper/index.js';
import type { ClusterMetadata } from '../../inputs/index.js';
import { decisionPolicyOf } from '../../inventory/index.js';
import type { BodyOptions } from '../body.js';
import type { Evaluator } from '../evaluator.js';
import type { BundleRegistry } from '../registry.js';
import { admissionRoutes } from './admission.js';
import { bundleFor } from './data.js';
import { providerRoutes } from './provider.js';

export interface KubernetesDependencies {
  readonly config: KubernetesConfig;
  readonly scans: ScanResults;
  /** The runtime inventory, when the server keeps one: current verdicts, namespace metadata, what was admitted. */
  readonly inventory?: InventoryHooks;
}

export interface InventoryHooks {
  readonly verdicts: VerdictLookup;
  readonly metadata: (namespace: string | null) => Promise<ClusterMetadata>;
  /** Told of every allowed review, to record what it starts or stops; never awaited. */
  readonly admitted: (review: unknown) => void;
  /** Told of every stored scan, so what runs the digest is decided again. */
  readonly scanStored: (digest: string) => void;
  readonly clock: () => Date;
}

export interface KubernetesRouteOptions extends KubernetesDependencies {
  readonly registry: BundleRegistry;
  readonly evaluator: Evaluator;
  readonly logger: Logger;
  /** The limits of report uploads (as POST /v1/check); reviews and provider requests have their own, smaller ones. */
  readonly body: BodyOptions;
}

/** Admission webhook, scan reports, the Gatekeeper provider and the generated Gatekeeper manifests. */
export function kubernetesRoutes(options: KubernetesRouteOptions): Router[] {
  const { config } = options;
  const affinity = keptAffinity();
  const policy = () => servedDecisionPolicy(options.registry, options.evaluator.cache);
  const small = (maxBytes: number, limitName: string): BodyOptions => ({ ...options.body, maxBytes, limitName });
  return [
    admissionRoutes({
      scans: options.scans,
      policy,
      namespaceLabels: async (ns) => (ns === null ? {} : (config.namespaceLabels[ns] ?? {})),
      ...(options.inventory ? { inventory: options.inventory } : {}),
      admission: { unscanned: config.unscanned, failurePolicy: config.failurePolicy, environmentLabel: config.environmentLabel },
      logger: options.logger,
      requireClientCert: config.requireClientCert,
      reviewBody: small(REQUEST_LIMITS.maxReviewBytes, 'the AdmissionReview limit'),
      reportBody: options.body,
      decide: async (input, now) =>
        (
          await options.evaluator.run(
            // A copy, which the worker takes over; the stored scan's bytes stay for the next review.
            { kind: 'decide', body: new Uint8Array(input.shared), own: input.own, report: input.report, now: now.toISOString() },
            bundleFor(options.registry, DECISION_ENTRYPOINT),
            affinity(input),
          )
        ).verdict,
      decideReport: async (body, now) =>
        (await options.evaluator.run({ kind: 'report', body, now: now.toISOString() }, bundleFor(options.registry, DECISION_ENTRYPOINT))).scan,
    }),
    providerRoutes({
      verdicts: options.inventory?.verdicts ?? storedVerdicts(options.scans),
      logger: options.logger,
      body: small(REQUEST_LIMITS.maxProviderBytes, 'the ProviderRequest limit'),
      requireClientCert: config.requireClientCert,
    }),
    manifestRoutes(config),
  ];
}

/** `GET /v1/gatekeeper/manifests.yaml`: generated from the settings file as it is now, so edits need no restart. */
export function manifestRoutes(config: KubernetesConfig): Router {
  const router = createRouter();
  router.get('/v1/gatekeeper/manifests.yaml', async (ctx) => {
    const settings = config.settingsFile ? await readPolicySettings(config.settingsFile) : {};
    const set = generateManifests(settings, await resolveGatekeeperOptions(config.gatekeeper));
    ctx.type = 'application/yaml';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = `${set.notes.map((n) => `# note: ${n}\n`).join('')}${manifestsYaml(set)}`;
  });
  return router;
}

/** The Wasm policy of the published bundle that provides portcullis/scan/decision. */
export async function servedDecisionPolicy(registry: BundleRegistry, cache: PolicyCache): Promise<DecisionPolicy> {
  const bundle = bundleFor(registry, DECISION_ENTRYPOINT);
  if (!bundle) throw new AppError('BUNDLE_NOT_FOUND', `no published bundle provides ${DECISION_ENTRYPOINT}`);
  return decisionPolicyOf(cache, bundle);
}

/**
 * What a worker keeps for an image of a review: the stored scan's part (the
 * same bytes until its ages change) and the report's entries for the
 * namespace. Reviews of it go to the worker that keeps them (Evaluator.run).
 */
function keptAffinity(): (input: SplitInput) => string {
  const ids = new WeakMap<Uint8Array, number>();
  let last = 0;
  return (input) => {
    let id = ids.get(input.shared);
    if (id === undefined) {
      id = last += 1;
      ids.set(input.shared, id);
    }
    return `${id}\n${input.report}`;
  };
}
