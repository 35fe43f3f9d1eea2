import { AppError, assertJsonText, sha256Hex } from '../core/index.js';
import { parseImageRef, POD_SPEC_PATH } from '../inputs/index.js';
import type { ContainerType, RunningSpec } from '../store/index.js';

/** A running container (or workload template container) as read from a Kubernetes list. */
export interface RunningItem extends Omit<RunningSpec, 'findings'> {
  /** Why the digest is unknown, when it is. */
  readonly unresolved: string | null;
}

/** A Trivy Operator VulnerabilityReport: a scan by digest and the container it was taken for. */
export interface ReportItem {
  readonly path: string;
  readonly object: Readonly<Record<string, unknown>>;
  readonly digest: string;
  readonly image: string;
  readonly running: RunningItem | null;
}

export interface ImportWarning {
  readonly code: string;
  readonly message: string;
  readonly count: number;
  /** The first items it applies to, as `items[i]` paths. */
  readonly items: readonly string[];
}

export interface ParsedSnapshot {
  readonly namespaces: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
  readonly running: readonly RunningItem[];
  readonly reports: readonly ReportItem[];
  /** Pods and workload objects read: a list without any is not a snapshot of running workloads. */
  readonly workloads: number;
  readonly warnings: readonly ImportWarning[];
}

/** A snapshot read and checked, with the hash that tells a re-import of the same document. */
export interface PreparedSnapshot {
  readonly parsed: ParsedSnapshot;
  readonly hash: string;
}

type Raw = Readonly<Record<string, unknown>>;

const MAX_DEPTH = 64;
/** Workload kinds with a pod template, and where each keeps its pod spec: the same table admission reads. */
const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(POD_SPEC_PATH).filter(([kind]) => kind !== 'Pod' && kind !== 'PodTemplate'),
);
const WORKLOAD_KINDS = new Set(Object.keys(TEMPLATE_PATH));
const CONTAINER_LISTS: readonly (readonly [spec: string, status: string, type: ContainerType])[] = [
  ['containers', 'containerStatuses', 'container'],
  ['initContainers', 'initContainerStatuses', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainerStatuses', 'ephemeralContainer'],
];
/** The alphabet of pod-template-hash and of a CronJob's scheduled-time suffix. */
const TEMPLATE_HASH = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/;
const CRON_SUFFIX = /^(.+)-\d{8,10}$/;
const REPO_DIGEST = /@(sha256:[0-9a-f]{64})$/;

/**
 * The longest values an API server lets through (apimachinery's validation:
 * DNS-1123 labels and subdomains, label keys and values), and for image
 * references, which Kubernetes does not bound, more than a registry accepts
 * (a repository of at most 255 characters, a tag of 128, a digest). A list
 * with a longer one was not written by an API server; stored, it would be
 * repeated in every view of its workload.
 */
const KUBERNETES_LENGTHS = { kind: 63, name: 253, namespace: 63, container: 63, labelKey: 317, labelValue: 63, image: 1024 } as const;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const rec = (v: unknown): Raw => (isObject(v) ? v : {});
const labelsOf = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(rec(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/**
 * Reads `kubectl get ... -o json` output: a List of Namespaces, Pods,
 * workloads and Trivy Operator VulnerabilityReports. Anything that makes the
 * list untrustworthy (bad JSON, a paginated or truncated list, an item
 * without kind, name or namespace) is an error naming the item; anything that
 * can be skipped (unknown kinds, completed pods, pods without status,
 * duplicates) is a counted warning.
 */
export function parseSnapshot(bytes: Uint8Array, source: string): ParsedSnapshot {
  return parseSnapshotDocument(parseJson(bytes, source), source);
}

/** The same, for a document already parsed (a request body). */
export function parseSnapshotDocument(doc: unknown, source: string): ParsedSnapshot {
  assertDepth(doc, source);
  const items = listItems(doc, source);
  const reader = new SnapshotReader(source);
  items.forEach((item, i) => reader.read(item, `items[${i}]`));
  return reader.finish();
}

/** parseSnapshotDocument and the document's hash: the whole work on a request body, so it can run off the event loop. */
export function prepareSnapshotDocument(doc: unknown, source: string): PreparedSnapshot {
  return { parsed: parseSnapshotDocument(doc, source), hash: sha256Hex(JSON.stringify(doc)) };
}

function parseJson(bytes: Uint8Array, source: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError('INPUT_INVALID', `${source}: not valid UTF-8`);
  }
  if (text.trim() === '') throw new AppError('INPUT_INVALID', `${source}: empty; expected the JSON of kubectl get ... -o json`);
  // Before parsing: nesting past the limit and lone surrogates, which the store and the policy cannot take.
  assertJsonText(text, MAX_DEPTH, source, 'INPUT_INVALID');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AppError('INPUT_INVALID', `${source}: not valid JSON (kubectl get ... -o json): ${(err as Error).message}`);
  }
  return doc;
}

function assertDepth(doc: unknown, source: string): void {
  const stack: [unknown, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DEPTH) throw new AppError('INPUT_INVALID', `${source}: nested deeper than ${MAX_DEPTH} levels`);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

function listItems(doc: unknown, source: string): readonly unknown[] {
  if (!isObject(doc)) throw new AppError('INPUT_INVALID', `${source}: expected a JSON object (a v1 List)`);
  const kind = str(doc['kind']);
  if (kind === 'VulnerabilityReport') return [doc];
  if (kind === null || (kind !== 'List' && !kind.endsWith('List'))) {
    throw new AppError('INPUT_INVALID', `${source}: kind ${kind ?? '(none)'} is not a list; import the output of kubectl get pods -A -o json`);
  }
  const meta = rec(doc['metadata']);
  if (str(meta['continue']) !== null || (typeof meta['remainingItemCount'] === 'number' && meta['remainingItemCount'] > 0)) {
    throw new AppError('INPUT_INVALID', `${source}: the list is partial (metadata.continue is set); fetch it whole, without --chunk-size or limit`);
  }
  if (!Array.isArray(doc['items'])) throw new AppError('INPUT_INVALID', `${source}: items must be a list`);
  return doc['items'];
}

class SnapshotReader {
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly pods: { running: RunningItem[]; owner: string }[] = [];
  private readonly templates: { running: RunningItem[]; owner: string }[] = [];
  private readonly reports: ReportItem[] = [];
  private readonly seen = new Set<string>();
  private readonly warnings = new Map<string, { message: string; count: number; items: string[] }>();
  private workloads = 0;

  constructor(private readonly source: string) {}

  read(item: unknown, path: string): void {
    if (!isObject(item)) throw this.error(path, 'is not an object');
    const kind = this.bounded(str(item['kind']), 'kind', `${path}.kind`);
    if (kind === null) throw this.error(path, 'has no kind');
    const meta = rec(item['metadata']);
    const name = this.bounded(str(meta['name']), kind === 'Namespace' ? 'namespace' : 'name', `${path}.metadata.name`);
    if (name === null) throw this.error(path, `${kind} has no metadata.name`);
    const namespace = this.bounded(str(meta['namespace']), 'namespace', `${path}.metadata.namespace`);
    this.checkLabels(meta['labels'], `${path}.metadata.labels`);
    this.checkOwners(meta['ownerReferences'], `${path}.metadata.ownerReferences`);
    if (kind !== 'Namespace' && namespace === null && (kind === 'Pod' || WORKLOAD_KINDS.has(kind) || kind === 'VulnerabilityReport')) {
      throw this.error(path, `${kind} ${name} has no metadata.namespace`);
    }
    const identity = JSON.stringify([kind, namespace, name]);
    if (this.seen.has(identity)) return this.warn('duplicate_item', `listed more than once; the first is used`, path);
    this.seen.add(identity);
    if (kind === 'Namespace') this.namespaces.set(name, labelsOf(meta['labels']));
    else if (kind === 'Pod') this.pod(item, namespace as string, name, path);
    else if (WORKLOAD_KINDS.has(kind)) this.template(item, kind, namespace as string, name, path);
    else if (kind === 'VulnerabilityReport') this.report(item, namespace as string, path);
    else this.warn('unknown_kind', `kind ${kind} holds no running containers; skipped`, path);
  }

  private pod(item: Raw, namespace: string, name: string, path: string): void {
    this.workloads += 1;
    const status = rec(item['status']);
    const phase = str(status['phase']);
    if (phase === 'Succeeded' || phase === 'Failed') return this.warn('pod_not_running', `pod in phase ${phase} is not running; skipped`, path);
    const hasStatus = CONTAINER_LISTS.some(([, key]) => Array.isArray(status[key]));
    if (!hasStatus) this.warn('pod_without_status', 'pod has no container statuses; the digests it runs are taken from its spec only', path);
    const owner = podOwner(rec(item['metadata']), name);
    const spec = this.podSpec(item['spec'], `${path}.spec`);
    const running = this.containers(spec, status, namespace, owner, 1, `${path}.spec`);
    this.pods.push({ running, owner: JSON.stringify([namespace, owner.kind, owner.name]) });
  }

  private template(item: Raw, kind: string, namespace: string, name: string, path: string): void {
    this.workloads += 1;
    const specPath = `${path}.${(TEMPLATE_PATH[kind] ?? []).join('.')}`;
    const spec = this.podSpec(
      TEMPLATE_PATH[kind]?.reduce<unknown>((node, key) => rec(node)[key], item),
      specPath,
    );
    const replicas = replicasOf(kind, item);
    if (replicas === 0) return this.warn('not_running', `${kind} runs no replicas; skipped`, path);
    const owner = templateOwner(kind, name, rec(item['metadata']));
    const running = this.containers(spec, {}, namespace, owner, replicas, specPath);
    this.templates.push({ running, owner: JSON.stringify([namespace, owner.kind, owner.name]) });
  }

  private report(item: Raw, namespace: string, path: string): void {
    const report = rec(item['report']);
    const artifact = rec(report['artifact']);
    const digest = str(artifact['digest'])?.toLowerCase() ?? null;
    if (digest === null || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      return this.warn('report_without_digest', 'VulnerabilityReport has no report.artifact.digest; it cannot be matched to what runs; skipped', path);
    }
    const server = str(rec(report['registry'])['server']);
    const repository = str(artifact['repository']);
    if (repository === null) return this.warn('report_without_digest', 'VulnerabilityReport has no report.artifact.repository; skipped', path);
    const tag = str(artifact['tag']);
    const image = this.bounded(`${server ? `${server}/` : ''}${repository}${tag ? `:${tag}` : ''}@${digest}`, 'image', `${path}.report.artifact`) as string;
    const labels = labelsOf(rec(item['metadata'])['labels']);
    const kind = labels['trivy-operator.resource.kind'];
    const name = labels['trivy-operator.resource.name'];
    const container = labels['trivy-operator.container.name'];
    const owner = kind && name ? operatorOwner(kind, name) : null;
    const ref = parseImageRef(image);
    const running: RunningItem | null =
      owner && container
        ? {
            namespace: labels['trivy-operator.resource.namespace'] ?? namespace,
            kind: owner.kind,
            name: owner.name,
            container,
            containerType: 'container',
            image,
            repository: ref?.name ?? repository,
            digest,
            unresolved: null,
            replicas: 1,
          }
        : null;
    if (!running) this.warn('report_without_workload', 'VulnerabilityReport names no workload (trivy-operator.resource.* labels); stored as a scan only', path);
    this.reports.push({ path, object: item, digest, image, running });
  }

  private podSpec(spec: unknown, path: string): Raw {
    if (!isObject(spec)) throw this.error(path, 'is missing or not an object (no pod spec)');
    for (const [key] of CONTAINER_LISTS) {
      if (spec[key] !== undefined && !Array.isArray(spec[key])) throw this.error(`${path}.${key}`, 'must be a list');
    }
    if (!Array.isArray(spec['containers'])) throw this.error(`${path}.containers`, 'must be a list');
    return spec;
  }

  private containers(spec: Raw, status: Raw, namespace: string, owner: Owner, replicas: number, path: string): RunningItem[] {
    return CONTAINER_LISTS.flatMap(([specKey, statusKey, type]) => {
      const statuses = new Map(
        (Array.isArray(status[statusKey]) ? (status[statusKey] as unknown[]) : []).filter(isObject).map((s) => [str(s['name']) ?? '', s]),
      );
      return (
        (spec[specKey] as unknown[] | undefined)?.map((c, j) => this.container(c, statuses, type, namespace, owner, replicas, `${path}.${specKey}[${j}]`)) ?? []
      );
    });
  }

  private container(raw: unknown, statuses: ReadonlyMap<string, Raw>, type: ContainerType, namespace: string, owner: Owner, replicas: number, path: string) {
    const c = rec(raw);
    const name = this.bounded(str(c['name']), 'container', `${path}.name`);
    const image = this.bounded(str(c['image']), 'image', `${path}.image`);
    if (name === null || image === null) throw this.error(path, 'needs a name and an image');
    const ref = parseImageRef(image);
    if (!ref) this.warn('image_unparsable', `'${image}' is not a valid image reference`, path);
    const imageId = this.bounded(str(statuses.get(name)?.['imageID']), 'image', `${path} status imageID`);
    const running = REPO_DIGEST.exec(imageId ?? '')?.[1] ?? null;
    const pinned = ref?.digest?.startsWith('sha256:') ? ref.digest : null;
    const digest = running ?? pinned;
    const unresolved =
      digest !== null
        ? null
        : imageId
          ? `the runtime reports image ID ${imageId}, not a registry digest`
          : 'neither the container status nor the image reference gives a digest';
    return {
      namespace,
      kind: owner.kind,
      name: owner.name,
      container: name,
      containerType: type,
      image,
      repository: ref?.name ?? image,
      digest,
      unresolved,
      replicas,
    };
  }

  /** `value`, or an error naming the field when it is longer than Kubernetes allows. */
  private bounded(value: string | null, field: keyof typeof KUBERNETES_LENGTHS, path: string): string | null {
    const max = KUBERNETES_LENGTHS[field];
    if (value !== null && value.length > max) throw this.error(path, `is ${value.length} characters long; Kubernetes allows at most ${max}`);
    return value;
  }

  private checkLabels(labels: unknown, path: string): void {
    for (const [key, value] of Object.entries(rec(labels))) {
      this.bounded(key, 'labelKey', `${path} key`);
      if (typeof value === 'string') this.bounded(value, 'labelValue', `${path}[${JSON.stringify(key)}]`);
    }
  }

  private checkOwners(refs: unknown, path: string): void {
    (Array.isArray(refs) ? refs : []).filter(isObject).forEach((ref, i) => {
      this.bounded(str(ref['kind']), 'kind', `${path}[${i}].kind`);
      this.bounded(str(ref['name']), 'name', `${path}[${i}].name`);
    });
  }

  private warn(code: string, message: string, path: string): void {
    const entry = this.warnings.get(code) ?? { message, count: 0, items: [] };
    entry.count += 1;
    if (entry.items.length < 5) entry.items.push(path);
    this.warnings.set(code, entry);
  }

  private error(path: string, message: string): AppError {
    return new AppError('INPUT_INVALID', `${this.source}: ${path} ${message}`, { details: [{ file: this.source, path, message }] });
  }

  finish(): ParsedSnapshot {
    // Pods say what actually runs: a workload's template counts only when none of its pods is listed.
    const owners = new Set(this.pods.map((p) => p.owner));
    const fromTemplates = this.templates.filter((t) => !owners.has(t.owner));
    return {
      namespaces: [...this.namespaces].map(([name, labels]) => ({ name, labels })),
      running: mergeReplicas([...this.pods.flatMap((p) => p.running), ...fromTemplates.flatMap((t) => t.running)]),
      reports: this.reports,
      workloads: this.workloads,
      warnings: [...this.warnings].map(([code, w]) => ({ code, message: w.message, count: w.count, items: w.items })),
    };
  }
}

export interface Owner {
  readonly kind: string;
  readonly name: string;
}

/** The workload an object belongs to (itself, for a workload that has no controller). */
export function ownerOf(object: Readonly<Record<string, unknown>>): Owner {
  const meta = rec(object['metadata']);
  const kind = str(object['kind']) ?? '';
  const name = str(meta['name']) ?? '';
  return kind === 'Pod' ? podOwner(meta, name) : templateOwner(kind, name, meta);
}

/** The workload a Pod belongs to: its controller, with a ReplicaSet traced to its Deployment by pod-template-hash. */
function podOwner(meta: Raw, podName: string): Owner {
  const refs = (Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : []).filter(isObject);
  const ref = refs.find((r) => r['controller'] === true) ?? refs[0];
  const kind = str(ref?.['kind']);
  const name = str(ref?.['name']);
  if (!kind || !name) return { kind: 'Pod', name: podName };
  const hash = labelsOf(meta['labels'])['pod-template-hash'];
  if (kind === 'ReplicaSet' && hash && name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: name.slice(0, -hash.length - 1) };
  if (kind === 'Job') return cronJobOf(name);
  return { kind, name };
}

/** A ReplicaSet or Job object names its owner outright. */
function templateOwner(kind: string, name: string, meta: Raw): Owner {
  const refs = (Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : []).filter(isObject);
  const ref = refs.find((r) => r['controller'] === true);
  const ownerKind = str(ref?.['kind']);
  const ownerName = str(ref?.['name']);
  if ((kind === 'ReplicaSet' && ownerKind === 'Deployment') || (kind === 'Job' && ownerKind === 'CronJob')) return { kind: ownerKind, name: ownerName ?? name };
  return { kind, name };
}

/** Trivy Operator names a Deployment's report after its ReplicaSet and a CronJob's after its Job. */
function operatorOwner(kind: string, name: string): Owner {
  if (kind === 'ReplicaSet') {
    const match = TEMPLATE_HASH.exec(name);
    return match?.[1] ? { kind: 'Deployment', name: match[1] } : { kind, name };
  }
  if (kind === 'Job') return cronJobOf(name);
  return { kind, name };
}

function cronJobOf(jobName: string): Owner {
  const match = CRON_SUFFIX.exec(jobName);
  return match?.[1] ? { kind: 'CronJob', name: match[1] } : { kind: 'Job', name: jobName };
}

function replicasOf(kind: string, item: Raw): number {
  const spec = rec(item['spec']);
  const status = rec(item['status']);
  const count = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback);
  if (kind === 'DaemonSet') return count(status['desiredNumberScheduled'], 1);
  if (kind === 'CronJob') return Array.isArray(status['active']) ? status['active'].length : 0;
  if (kind === 'Job') return count(status['active'], count(spec['parallelism'], 1));
  return count(spec['replicas'], 1);
}

/** The pods of one workload running the same container image are one running container with a replica count. */
function mergeReplicas(items: readonly RunningItem[]): RunningItem[] {
  const merged = new Map<string, RunningItem>();
  for (const item of items) {
    const key = JSON.stringify([item.namespace, item.kind, item.name, item.container, item.digest ?? `unresolved:${item.image}`]);
    const prior = merged.get(key);
    merged.set(key, prior ? { ...prior, replicas: prior.replicas + item.replicas } : item);
  }
  return [...merged.values()];
}
