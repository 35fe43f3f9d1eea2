import { AppError, parseJsonPreserving, yaml, type ErrorCode, type JsonValue } from '../core/index.js';
import type { BundleFile } from './types.js';

const DATA_FILES = new Set(['data.json', 'data.yaml', 'data.yml']);

export function isDataFile(path: string): boolean {
  return DATA_FILES.has(path.slice(path.lastIndexOf('/') + 1));
}

/** Merges every data file into one document, each mounted at its directory (OPA's placement rule). */
export function mergeDataFiles(files: readonly BundleFile[]): Record<string, JsonValue> {
  const root: Record<string, JsonValue> = {};
  for (const file of files.filter((f) => isDataFile(f.path))) {
    mountData(root, file.path.split('/').slice(1, -1), parseDataFile(file), file.path, 'BUNDLE_INVALID');
  }
  return root;
}

function parseDataFile(file: BundleFile): JsonValue {
  const text = Buffer.from(file.bytes).toString('utf8');
  try {
    if (file.path.endsWith('.json')) return parseJsonPreserving(text, file.path);
    return yaml().parse(text, { intAsBigInt: true }) as JsonValue;
  } catch (err) {
    throw new AppError('BUNDLE_INVALID', `${file.path}: ${(err as Error).message}`, { cause: err });
  }
}

export function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Places `value` at `segments` under `root`, merging objects and refusing to
 * overwrite anything another source already set. A value at the root must be an object.
 */
export function mountData(root: Record<string, JsonValue>, segments: readonly string[], value: JsonValue, source: string, code: ErrorCode): void {
  if (segments.length === 0) {
    if (!isPlainObject(value)) throw new AppError(code, `${source}: root value must be object`);
    mergeInto(root, value, source, code, '');
    return;
  }
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment] ?? (node[segment] = {});
    if (!isPlainObject(next)) conflict(source, segment, code);
    node = next;
  }
  const last = segments[segments.length - 1] as string;
  mergeInto(node, { [last]: value }, source, code, segments.slice(0, -1).join('/'));
}

function mergeInto(target: Record<string, JsonValue>, value: Record<string, JsonValue>, source: string, code: ErrorCode, at: string): void {
  for (const [key, v] of Object.entries(value)) {
    const path = at ? `${at}/${key}` : key;
    const existing = target[key];
    if (existing === undefined) target[key] = v;
    else if (isPlainObject(existing) && isPlainObject(v)) mergeInto(existing, v, source, code, path);
    else conflict(source, path, code);
  }
}

function conflict(source: string, path: string, code: ErrorCode): never {
  throw new AppError(code, `failed to insert data file from path ${source}: data at '${path}' is already set`);
}
