import { AppError } from '../core/index.js';
import type { InventoryWrite } from '../store/index.js';
import { contextOf } from './context.js';
import { contextsFor, runningSpec, type ImportDependencies } from './ingest.js';
import { planFindings } from './findings.js';
import { ownerOf, parseSnapshot } from './snapshot.js';

type Raw = Readonly<Record<string, unknown>>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Records what an admitted review starts or stops in the admission cluster:
 * a Pod's containers under its owning workload (through ownerReferences), a
 * workload template's containers (which then describe that workload
 * completely), and a deleted workload as gone. Dry runs and denied reviews
 * leave no trace; the caller does not wait for this.
 */
export async function recordAdmission(deps: ImportDependencies, review: unknown): Promise<void> {
  const request = rec(rec(review)['request']);
  const operation = str(request['operation']);
  if (request['dryRun'] === true || (operation !== 'CREATE' && operation !== 'UPDATE' && operation !== 'DELETE')) return;
  const raw = rec(operation === 'DELETE' ? request['oldObject'] : request['object']);
  const kind = str(raw['kind']);
  if (kind === undefined) return;
  const meta = rec(raw['metadata']);
  const namespace = str(meta['namespace']) ?? str(request['namespace']);
  if (namespace === undefined) return;
  // Pods made by controllers arrive with generateName only; the owner names them in the inventory.
  const name = str(meta['name']) ?? str(request['name']) ?? str(meta['generateName']) ?? '(generated)';
  const object = { ...raw, metadata: { ...meta, namespace, name } };
  const owner = ownerOf(object);
  const pod = kind === 'Pod';
  // One Pod of many says nothing about its siblings; a workload, or a Pod of its own, is the whole workload.
  const whole = !pod || owner.kind === 'Pod';
  if (operation === 'DELETE' && !whole) return;
  const engine = deps.engine;
  const parsed =
    operation === 'DELETE'
      ? { namespaces: [], running: [], reports: [], workloads: 1, warnings: [] }
      : parseSnapshot(Buffer.from(JSON.stringify({ kind: 'List', items: [object] })), 'admission review');
  if (parsed.workloads === 0) return;
  const cluster = engine.settings.admissionCluster;
  const contexts = await contextsFor(engine, cluster, parsed);
  if (!contexts.has(namespace)) contexts.set(namespace, contextOf(await engine.metadataFor(cluster, namespace)));
  const write: InventoryWrite = {
    cluster,
    source: 'admission',
    completeness: 'none',
    namespaces: [],
    running: parsed.running.map((item) => runningSpec(item, engine)),
    completeWorkloads: whole ? [{ namespace, kind: owner.kind, name: owner.name }] : [],
    contexts,
    at: engine.clock(),
    revision: deps.revision()?.revision ?? '',
  };
  await engine.store.inventory.applyWrite(write, planFindings, engine.settings.eventsEnabled);
  engine.inventoryChanged();
}

/** Keys of scans decided outside the queue: negative, so they never meet a stored scan's sequence number. */
let nextScanKey = -1;

/** What the provider answers for one image in one namespace. */
export interface ImageVerdict {
  readonly decision: 'allow' | 'deny' | 'unscanned';
  readonly summary: string;
  readonly digest: string;
  readonly violations: number;
  readonly warnings: number;
  readonly namespace: string | null;
  readonly environment: string | null;
  readonly revision: string;
  readonly evaluated_at: string;
}

/**
 * The current verdict for images in namespaces (of the admission cluster):
 * the stored decision of the running (digest, namespace context) when it is
 * up to date with the served revision, else decided now, under that
 * revision, with the namespace's metadata. Never an older revision's
 * verdict, never one without the namespace's environment.
 */
export async function currentVerdicts(
  deps: ImportDependencies,
  keys: readonly { readonly digest: string; readonly namespace: string | null }[],
): Promise<ImageVerdict[]> {
  const revision = deps.revision();
  if (!revision) throw new AppError('BUNDLE_NOT_FOUND', 'no published bundle provides portcullis/scan/decision');
  const engine = deps.engine;
  const cluster = engine.settings.admissionCluster;
  const now = engine.clock();
  const answers: (ImageVerdict | undefined)[] = [];
  const missing: { index: number; digest: string; metadata: Awaited<ReturnType<typeof engine.metadataFor>> }[] = [];
  for (const [index, key] of keys.entries()) {
    const metadata = await engine.metadataFor(cluster, key.namespace);
    const unit = await engine.store.inventory.unitFor(key.digest, contextOf(metadata).key);
    if (unit?.decision && !unit.pending && unit.revision_etag === revision.etag && unit.evaluated_at) {
      answers[index] = {
        decision: unit.decision,
        summary: unit.summary ?? '',
        digest: key.digest,
        violations: unit.violations,
        warnings: unit.warnings,
        namespace: key.namespace,
        environment: unit.environment,
        revision: unit.revision ?? revision.revision,
        evaluated_at: unit.evaluated_at,
      };
    } else {
      missing.push({ index, digest: key.digest, metadata });
    }
  }
  if (missing.length > 0) {
    // Scans are passed under keys of their own, never reused, since the evaluators keep parsed scans by key.
    const texts = new Map<number, string>();
    const keyOf = new Map<string, number>();
    for (const scan of await engine.store.latestScans([...new Set(missing.map((m) => m.digest))])) {
      const key = nextScanKey--;
      texts.set(key, JSON.stringify(scan.input));
      keyOf.set(scan.digest, key);
    }
    const outcomes = await engine.evaluateNow(
      revision,
      missing.map((m, i) => ({ unitId: i, digest: m.digest, scanSeq: keyOf.get(m.digest) ?? null, metadata: m.metadata, now: now.toISOString() })),
      texts,
    );
    for (const [i, m] of missing.entries()) {
      const o = outcomes.find((x) => x.unitId === i);
      if (!o) continue;
      answers[m.index] = {
        decision: o.decision,
        summary: o.summary,
        digest: m.digest,
        violations: o.violations,
        warnings: o.warnings,
        namespace: m.metadata.namespace,
        environment: m.metadata.environment,
        revision: revision.revision,
        evaluated_at: now.toISOString(),
      };
    }
  }
  return answers.map((a, i) => a ?? failed(keys[i]?.digest ?? '', revision.revision, now));
}

function failed(digest: string, revision: string, now: Date): ImageVerdict {
  return {
    decision: 'deny',
    summary: 'the image policy could not be evaluated',
    digest,
    violations: 1,
    warnings: 0,
    namespace: null,
    environment: null,
    revision,
    evaluated_at: now.toISOString(),
  };
}
