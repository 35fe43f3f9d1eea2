import { AppError, type JsonValue } from '../core/index.js';
import { isPlainObject } from '../bundle/index.js';

/** Where the image policy reads its parameters from, in bundle data. */
export const SETTINGS_PATH = ['portcullis', 'scan', 'settings'] as const;

/**
 * Returns a copy of bundle `data` with `override` merged into the settings:
 * objects merge key by key, anything else (lists included) replaces the
 * bundle's value, so `--data` can change one threshold and keep the rest.
 */
export function withSettings(data: Readonly<Record<string, JsonValue>>, override: unknown, source: string): Record<string, JsonValue> {
  if (!isPlainObject(override)) throw new AppError('INPUT_INVALID', `${source}: settings data must be a mapping (an object), not ${describe(override)}`);
  // Copied along the path only: bundle data may hold JsonNumber instances, which a deep clone would flatten.
  const root: Record<string, JsonValue> = { ...data };
  let node = root;
  for (const segment of SETTINGS_PATH.slice(0, -1)) {
    const next = node[segment];
    const copy: Record<string, JsonValue> = isPlainObject(next) ? { ...next } : {};
    node[segment] = copy;
    node = copy;
  }
  const last = SETTINGS_PATH[SETTINGS_PATH.length - 1] as string;
  const current = node[last];
  node[last] = deepMerge(isPlainObject(current) ? current : {}, override);
  return root;
}

function deepMerge(base: Record<string, JsonValue>, over: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
