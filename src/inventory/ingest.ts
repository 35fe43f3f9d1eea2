import { evaluateDecision, type DecisionPolicy } from '../check/index.js';
import { AppError, sha256Hex } from '../core/index.js';
import { normalize, type NormalizedInput } from '../inputs/index.js';
import type { ContextSpec, InventorySource, InventoryWrite, InventoryWriteResult, RunningSpec, ScanWrite } from '../store/index.js';
import { contextOf, namespaceMetadata } from './context.js';
import type { InventoryEngine } from './engine.js';
import { planFindings, unresolvedDigestFinding } from './findings.js';
import type { ServedRevision } from './policy.js';
import { parseSnapshot, prepareSnapshotDocument, type ImportWarning, type ParsedSnapshot, type PreparedSnapshot, type RunningItem } from './snapshot.js';

export interface ImportOptions {
  readonly cluster: string;
  /** Register the cluster: a snapshot for a cluster never seen is refused without it (a typo would duplicate a fleet). */
  readonly newCluster: boolean;
  /** Accept a list with no workloads at all as "nothing runs in this cluster". */
  readonly allowEmpty: boolean;
  /** Named in errors: the file, or "request body". */
  readonly source: string;
}

export interface ImportResult {
  readonly cluster: string;
  /** snapshot: Pods or workloads, complete for the cluster; operator: VulnerabilityReports only; namespaces: labels only. */
  readonly kind: 'snapshot' | 'operator' | 'namespaces';
  readonly duplicate: boolean;
  readonly namespaces: number;
  readonly running: { readonly added: number; readonly updated: number; readonly unchanged: number; readonly gone: number };
  readonly scans: number;
  readonly warnings: readonly ImportWarning[];
}

export interface ImportDependencies {
  readonly engine: InventoryEngine;
  readonly revision: () => ServedRevision | undefined;
  /** The served policy, to decide operator reports as POST /v1/reports does; throws when none is published. */
  readonly policy: () => Promise<DecisionPolicy>;
  /** Told of the digests an import stored scans for, so no cached read of an older scan is used (here or on other servers). */
  readonly scansStored?: (digests: readonly string[]) => Promise<void>;
}

const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export function assertClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name)) throw new AppError('USAGE', `cluster name '${name}' must be 1-63 letters, digits, '.', '_' or '-'`);
}

/**
 * `portcullis inventory import` and `POST /v1/inventory`: a snapshot of what
 * runs in one cluster, applied atomically. Pods and workloads make it
 * complete (what is missing is gone); VulnerabilityReports alone add their
 * scans and the containers they were taken for; Namespaces give labels.
 * Everything is read and checked before anything is written.
 */
export async function importInventory(
  deps: ImportDependencies,
  input: Uint8Array | { readonly document: unknown } | PreparedSnapshot,
  options: ImportOptions,
): Promise<ImportResult> {
  assertClusterName(options.cluster);
  const { parsed, hash } =
    input instanceof Uint8Array
      ? { parsed: parseSnapshot(input, options.source), hash: sha256Hex(input) }
      : 'parsed' in input
        ? input
        : prepareSnapshotDocument(input.document, options.source);
  const kind = parsed.workloads > 0 ? 'snapshot' : parsed.reports.length > 0 ? 'operator' : 'namespaces';
  if (parsed.workloads === 0 && parsed.reports.length === 0 && parsed.namespaces.length === 0 && !options.allowEmpty) {
    const skipped = parsed.warnings.map((w) => `${w.count} ${w.code}`).join(', ');
    throw new AppError(
      'INPUT_INVALID',
      `${options.source}: lists no Pods, workloads, Namespaces or VulnerabilityReports${skipped ? ` (skipped: ${skipped})` : ''}; to record that nothing runs in cluster '${options.cluster}', import it with --allow-empty`,
    );
  }
  const inventory = deps.engine.store.inventory;
  if (!options.newCluster && !(await inventory.knownCluster(options.cluster))) {
    throw new AppError(
      'INPUT_INVALID',
      `cluster '${options.cluster}' has never been seen; check the name, or register it with --new-cluster (new_cluster=true)`,
    );
  }
  const scans = parsed.reports.length > 0 ? await operatorScans(deps, parsed, options.source) : [];
  const incomplete = incompleteScans(scans);
  const at = deps.engine.clock();
  const write: InventoryWrite = {
    cluster: options.cluster,
    source: (kind === 'snapshot' ? 'snapshot' : 'operator') satisfies InventorySource,
    completeness: kind === 'snapshot' || options.allowEmpty ? 'snapshot' : kind === 'operator' ? 'source' : 'none',
    namespaces: parsed.namespaces,
    running: [...parsed.running, ...parsed.reports.flatMap((r) => (r.running ? [r.running] : []))].map((item) => runningSpec(item, deps.engine)),
    contexts: await contextsFor(deps.engine, options.cluster, parsed),
    snapshotHash: hash,
    scans,
    at,
    revision: deps.revision()?.revision ?? '',
  };
  const result = await inventory.applyWrite(write, planFindings, deps.engine.settings.eventsEnabled);
  if (scans.length > 0 && !result.duplicate) {
    const digests = [...new Set(scans.map((s) => s.digest))];
    await deps.scansStored?.(digests);
    await deps.engine.scanStored(digests);
  }
  deps.engine.inventoryChanged();
  return summary(options.cluster, kind, { ...parsed, warnings: [...parsed.warnings, ...incomplete] }, result, scans.length);
}

/**
 * Reports some entries of which the parser could not fully read (coded as
 * in `check`'s input warnings): stored and decided on what was read, and
 * said so here, since a decision is only as good as the parse under it.
 */
function incompleteScans(scans: readonly ScanWrite[]): ImportWarning[] {
  const codes = new Map<string, number>();
  const items: string[] = [];
  for (const scan of scans) {
    const warnings = ((scan.input as NormalizedInput).reports ?? []).flatMap((r) => r.warnings);
    if (warnings.length === 0) continue;
    items.push(scan.digest);
    for (const w of warnings) codes.set(w.code, (codes.get(w.code) ?? 0) + 1);
  }
  if (items.length === 0) return [];
  const list = [...codes].map(([code, n]) => `${n} ${code}`).join(', ');
  return [
    {
      code: 'scan_incomplete',
      message: `entries of these VulnerabilityReports could not be fully read (${list}); they are decided on what was read (GET /v1/images/<digest> lists them)`,
      count: items.length,
      items: items.slice(0, 10),
    },
  ];
}

function summary(cluster: string, kind: ImportResult['kind'], parsed: ParsedSnapshot, result: InventoryWriteResult, scans: number): ImportResult {
  const duplicateWarning: ImportWarning[] = result.duplicate
    ? [{ code: 'duplicate_snapshot', message: 'the same snapshot was imported last time; nothing changed', count: 1, items: [] }]
    : [];
  return {
    cluster,
    kind,
    duplicate: result.duplicate,
    namespaces: parsed.namespaces.length,
    running: { added: result.added, updated: result.updated, unchanged: result.unchanged, gone: result.gone },
    scans: result.duplicate ? 0 : scans,
    warnings: [...parsed.warnings, ...duplicateWarning],
  };
}

export function runningSpec(item: RunningItem, engine: InventoryEngine): RunningSpec {
  return {
    namespace: item.namespace,
    kind: item.kind,
    name: item.name,
    container: item.container,
    containerType: item.containerType,
    image: item.image,
    repository: item.repository,
    digest: item.digest,
    replicas: item.replicas,
    findings: item.digest === null ? [unresolvedDigestFinding(item.image, item.unresolved ?? 'no digest', engine.settings.unresolvedDigest)] : [],
  };
}

/** The context of every namespace the snapshot touches, with the labels it brings or those stored before. */
export async function contextsFor(
  engine: InventoryEngine,
  cluster: string,
  parsed: Pick<ParsedSnapshot, 'namespaces' | 'running' | 'reports'>,
): Promise<Map<string, ContextSpec>> {
  const stored = await engine.store.inventory.namespaceLabels(cluster);
  const imported = new Map(parsed.namespaces.map((n) => [n.name, n.labels]));
  const names = new Set([
    ...parsed.namespaces.map((n) => n.name),
    ...parsed.running.map((r) => r.namespace),
    ...parsed.reports.flatMap((r) => (r.running ? [r.running.namespace] : [])),
  ]);
  const contexts = new Map<string, ContextSpec>();
  for (const name of names) {
    contexts.set(name, contextOf(namespaceMetadata(cluster, name, imported.get(name) ?? stored.get(name), engine.settings.context)));
  }
  return contexts;
}

/** Each VulnerabilityReport normalized and decided like an upload to POST /v1/reports; one per digest. */
async function operatorScans(deps: ImportDependencies, parsed: ParsedSnapshot, source: string): Promise<ScanWrite[]> {
  const policy = await deps.policy();
  const now = deps.engine.clock();
  const byDigest = new Map<string, ScanWrite>();
  for (const report of parsed.reports) {
    if (byDigest.has(report.digest)) continue;
    const input = normalize({
      reports: [{ path: `${source} ${report.path}`, bytes: Buffer.from(JSON.stringify(report.object), 'utf8'), format: 'trivy-operator' }],
      now,
    });
    byDigest.set(report.digest, { digest: report.digest, image: report.image, input, decision: evaluateDecision(policy, input) });
  }
  return [...byDigest.values()];
}
