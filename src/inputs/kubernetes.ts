import { AppError, compileSchema } from '../core/index.js';
import { arr, bool, num, obj, root, str, strMap } from './formats/shape.js';
import { rec, records, stringMap, text, type Raw } from './formats/values.js';
import { parseImageRef } from './image-ref.js';
import { decodeText, parseDocuments, type InputLimits } from './read.js';
import type { ContainerFacts, ContainerSecurity, ContainerType, Workload } from './workload-types.js';

const security = obj({ runAsUser: num, runAsNonRoot: bool, privileged: bool, allowPrivilegeEscalation: bool });
const container = obj({ name: str, image: str, securityContext: security }, ['image']);
const podSpec = obj({
  securityContext: security,
  containers: arr(container),
  initContainers: arr(container),
  ephemeralContainers: arr(container),
});
const metadata = obj({ name: str, generateName: str, namespace: str, labels: strMap, annotations: strMap });
const objectSchema = root(obj({ kind: { type: 'string', minLength: 1 }, apiVersion: str, metadata, spec: { type: ['object', 'null'] } }, ['kind']));
const podSpecSchema = root(podSpec);

const assertObject = compileSchema<Raw>(objectSchema, 'INPUT_INVALID');
const assertPodSpec = compileSchema<Raw>(podSpecSchema, 'INPUT_INVALID');

/** Where each workload kind keeps its pod spec. */
export const POD_SPEC_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  PodTemplate: ['template', 'spec'],
};

const CONTAINER_LISTS: ReadonlyArray<readonly [string, ContainerType]> = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

interface Envelope {
  readonly source: Workload['source'];
  readonly operation: string | null;
  readonly username: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
}

/** Workloads of a multi-document manifest, a `List`, an AdmissionReview or a bare AdmissionRequest. */
export function parseManifest(bytes: Uint8Array, file: string, limits: InputLimits): Workload[] {
  const docs = parseDocuments(decodeText(bytes, file, limits), file, limits);
  return docs.flatMap((doc, i) => workloadsOf(doc, docs.length > 1 ? `${file} (document ${i + 1})` : file, file));
}

function workloadsOf(doc: unknown, source: string, file: string): Workload[] {
  const raw = rec(doc);
  if (raw['kind'] === 'AdmissionReview' && (raw['request'] === null || typeof raw['request'] !== 'object')) {
    throw new AppError('INPUT_INVALID', `${source}: AdmissionReview has no request object`, {
      details: [{ file, path: '/request', message: 'missing request' }],
    });
  }
  const request = raw['kind'] === 'AdmissionReview' ? rec(raw['request']) : isAdmissionRequest(raw) ? raw : null;
  if (request) return admissionWorkloads(request, source, file);
  const object = assertObject(doc, source);
  if (object['kind'] === 'List' || String(object['kind']).endsWith('List')) {
    return records(object['items']).flatMap((item, i) => workloadsOf(item, `${source} /items/${i}`, file));
  }
  const envelope = { source: 'manifest', operation: null, username: null, namespace: null, name: null } as const;
  const workload = workloadOf(object, envelope, source, file);
  return workload ? [workload] : [];
}

function isAdmissionRequest(raw: Raw): boolean {
  return 'uid' in raw && 'operation' in raw && ('object' in raw || 'oldObject' in raw);
}

function admissionWorkloads(request: Raw, source: string, file: string): Workload[] {
  const object = request['object'] ?? request['oldObject'];
  if (object === null || object === undefined) return [];
  const envelope: Envelope = {
    source: 'admission',
    operation: text(request['operation']),
    username: text(rec(request['userInfo'])['username']),
    namespace: text(request['namespace']),
    name: text(request['name']),
  };
  const workload = workloadOf(assertObject(object, `${source} /request/object`), envelope, source, file);
  return workload ? [workload] : [];
}

function workloadOf(object: Raw, envelope: Envelope, source: string, file: string): Workload | null {
  const kind = String(object['kind']);
  const path = POD_SPEC_PATH[kind];
  if (!path) return null;
  const spec = path.reduce<unknown>((node, key) => rec(node)[key], object);
  if (spec === undefined || spec === null) {
    throw new AppError('INPUT_INVALID', `${source}: ${kind} has no pod spec at /${path.join('/')}`, {
      details: [{ file, path: `/${path.join('/')}`, message: 'missing pod spec' }],
    });
  }
  const podSpec = assertPodSpec(spec, `${source} /${path.join('/')}`);
  const meta = rec(object['metadata']);
  return {
    source: envelope.source,
    file,
    kind,
    api_version: text(object['apiVersion']),
    name: text(meta['name']) ?? envelope.name ?? text(meta['generateName']),
    namespace: text(meta['namespace']) ?? envelope.namespace,
    labels: stringMap(meta['labels']),
    annotations: stringMap(meta['annotations']),
    operation: envelope.operation,
    username: envelope.username,
    containers: containersOf(podSpec),
  };
}

function containersOf(podSpec: Raw): ContainerFacts[] {
  const podSecurity = rec(podSpec['securityContext']);
  return CONTAINER_LISTS.flatMap(([key, type]) =>
    records(podSpec[key]).map((c) => {
      const image = text(c['image']) ?? '';
      return {
        name: text(c['name']) ?? '',
        type,
        image,
        image_ref: parseImageRef(image),
        security_context: securityOf(rec(c['securityContext']), podSecurity),
      };
    }),
  );
}

/** Container settings override the pod's, as the kubelet applies them. */
function securityOf(own: Raw, pod: Raw): ContainerSecurity {
  const pick = <T>(key: string, type: 'number' | 'boolean'): T | null => {
    if (typeof own[key] === type) return own[key] as T;
    return typeof pod[key] === type ? (pod[key] as T) : null;
  };
  return {
    run_as_user: pick<number>('runAsUser', 'number'),
    run_as_non_root: pick<boolean>('runAsNonRoot', 'boolean'),
    privileged: typeof own['privileged'] === 'boolean' ? own['privileged'] : null,
    allow_privilege_escalation: typeof own['allowPrivilegeEscalation'] === 'boolean' ? own['allowPrivilegeEscalation'] : null,
  };
}
