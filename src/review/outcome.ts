import type { Decision } from '../evaluate/index.js';
import type { Outcome, ReviewFinding } from './model.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Reads an entrypoint's result as the report model's Decision: `decision`
 * plus `violations` and `warnings`. Only that contract is relied on, so any
 * entrypoint returning it can be reviewed; a result without `decision` is
 * deny exactly when it has violations.
 */
export function toOutcome(evaluation: Decision): Outcome {
  if (!evaluation.defined) return { verdict: 'error', findings: [], error: 'the entrypoint is undefined for this input' };
  const result = evaluation.result;
  if (!isObject(result)) return { verdict: 'error', findings: [], error: 'the entrypoint did not return an object with violations and warnings' };
  const violations = findingsOf(result['violations'], 'violation');
  const warnings = findingsOf(result['warnings'], 'warning');
  const stated = result['decision'];
  const verdict = stated === 'allow' || stated === 'deny' ? stated : violations.length > 0 ? 'deny' : 'allow';
  return { verdict, findings: [...violations, ...warnings] };
}

function findingsOf(list: unknown, kind: ReviewFinding['kind']): ReviewFinding[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((f) => toFinding(f, kind));
}

function toFinding(f: Json, kind: ReviewFinding['kind']): ReviewFinding {
  const location = isObject(f['location']) ? f['location'] : undefined;
  const file = text(location?.['file']);
  const line = location?.['line'];
  const optional: [string, string | undefined][] = [
    ['severity', text(f['severity'])],
    ['image', text(f['image'])],
    ['id', text(f['id'])],
    ['package', text(f['package'])],
  ];
  return {
    kind,
    rule: text(f['rule']) ?? text(f['id']) ?? 'unnamed',
    message: text(f['message']) ?? text(f['msg']) ?? '',
    ...Object.fromEntries(optional.filter(([, v]) => v !== undefined)),
    ...(file ? { location: { file, ...(typeof line === 'number' ? { line } : {}) } } : {}),
  };
}

/** The identity of a finding across versions: everything but its severity, which a policy may retune. */
export function findingKey(f: ReviewFinding): string {
  const loc = f.location ? `${f.location.file}:${f.location.line ?? ''}` : '';
  return [f.kind, f.rule, f.image ?? '', f.id ?? '', f.package ?? '', loc, f.message].join('\u0000');
}

/** The image an input is about: the normalized input's image.ref/name, else a Kubernetes-style input's first image. */
export function imageOf(input: unknown): string | undefined {
  if (!isObject(input)) return undefined;
  const image = input['image'];
  if (isObject(image)) return text(image['ref']) ?? text(image['name']);
  const images = input['images'];
  return Array.isArray(images) ? text(images[0]) : undefined;
}

/** The namespace an input is deployed to, from its metadata. */
export function namespaceOf(input: unknown): string | undefined {
  if (!isObject(input)) return undefined;
  const metadata = input['metadata'];
  return isObject(metadata) ? text(metadata['namespace']) : undefined;
}
