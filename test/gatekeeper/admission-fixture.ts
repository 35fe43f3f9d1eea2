import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import type { KubernetesConfig } from '../../src/config/index.js';
import { MemoryScanResults, type ScanResults } from '../../src/gatekeeper/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { buildWithOpa } from '../helpers/opa.js';
import { REAL_FIXTURES } from '../helpers/fixtures.js';

export const SHARED = REAL_FIXTURES;
const POLICY_DIR = fileURLToPath(new URL('./policy/', import.meta.url));

let built: Promise<string> | undefined;

/** The stand-in decision policy (test/gatekeeper/policy), built once per process with the real opa. */
export function admissionBundle(): Promise<string> {
  built ??= (async () => {
    const [result] = await buildWithOpa(join(POLICY_DIR, 'bundles'));
    if (!result) throw new Error('admission policy bundle was not built');
    return result.path;
  })();
  return built;
}

export const KUBERNETES_CONFIG: KubernetesConfig = {
  unscanned: 'deny',
  failurePolicy: 'Fail',
  environmentLabel: 'portcullis.dev/environment',
  namespaceLabels: { payments: { 'portcullis.dev/environment': 'prod' }, sandbox: { 'portcullis.dev/environment': 'dev' } },
  requireClientCert: false,
  settingsFile: undefined,
  gatekeeper: {},
};

export interface AdmissionApp {
  readonly callback: ReturnType<ReturnType<typeof createApp>['callback']>;
  readonly scans: ScanResults;
  readonly registry: BundleRegistry;
}

/** The real app with the Kubernetes routes; `withPolicy: false` publishes no decision bundle. */
export async function admissionApp(
  config: Partial<KubernetesConfig> = {},
  withPolicy = true,
  scans: ScanResults = new MemoryScanResults(),
): Promise<AdmissionApp> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-admission-'));
  if (withPolicy) await copyFile(await admissionBundle(), join(dir, 'admission-policy.tar.gz'));
  const logger = pino({ level: 'silent' });
  const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
  await registry.refresh();
  const app = createApp({ registry, logger, kubernetes: { config: { ...KUBERNETES_CONFIG, ...config }, scans } });
  return { callback: app.callback(), scans, registry };
}

export const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A minimal Trivy report with the given CRITICAL fixable vulnerabilities. */
export function trivyReport(image: string, critical: readonly string[]): Record<string, unknown> {
  return {
    SchemaVersion: 2,
    ArtifactName: image,
    ArtifactType: 'container_image',
    Results: [
      {
        Target: `${image} (alpine 3.19.0)`,
        Class: 'os-pkgs',
        Type: 'alpine',
        Vulnerabilities: critical.map((id) => ({
          VulnerabilityID: id,
          PkgName: 'openssl',
          InstalledVersion: '3.1.0-r0',
          FixedVersion: '3.1.4-r0',
          Severity: 'CRITICAL',
        })),
      },
    ],
  };
}

export interface ReviewSpec {
  readonly kind?: string;
  readonly namespace?: string;
  readonly containers?: readonly string[];
  readonly initContainers?: readonly string[];
  readonly ephemeralContainers?: readonly string[];
  readonly operation?: string;
  readonly dryRun?: boolean;
  readonly uid?: string;
}

const WORKLOAD_API: Readonly<Record<string, string>> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** An admission.k8s.io/v1 AdmissionReview for a Pod or a workload with a pod template. */
export function review(spec: ReviewSpec): Record<string, unknown> {
  const kind = spec.kind ?? 'Pod';
  const list = (images: readonly string[] | undefined, prefix: string) => (images ?? []).map((image, i) => ({ name: `${prefix}${i}`, image }));
  const podSpec: Record<string, unknown> = { containers: list(spec.containers ?? [], 'app') };
  if (spec.initContainers) podSpec['initContainers'] = list(spec.initContainers, 'init');
  if (spec.ephemeralContainers) podSpec['ephemeralContainers'] = list(spec.ephemeralContainers, 'debug');
  const template = { metadata: { labels: { app: 'shop' } }, spec: podSpec };
  const body =
    kind === 'Pod'
      ? podSpec
      : kind === 'CronJob'
        ? { schedule: '0 3 * * *', jobTemplate: { spec: { template } } }
        : { selector: { matchLabels: { app: 'shop' } }, template };
  const namespace = spec.namespace ?? 'payments';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: spec.uid ?? `uid-${Math.random().toString(16).slice(2)}`,
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
      name: 'shop',
      namespace,
      operation: spec.operation ?? 'CREATE',
      userInfo: { username: 'jane@example.com', groups: ['system:authenticated'] },
      object: { apiVersion: WORKLOAD_API[kind] ?? 'v1', kind, metadata: { name: 'shop', namespace, labels: { app: 'shop' } }, spec: body },
      oldObject: null,
      dryRun: spec.dryRun ?? false,
    },
  };
}
