import { toRfc3339 } from '../derive.js';
import type { EnvVar } from '../types.js';
import type { ImageConfigDraft } from './report.js';

// Raw reports have been shape-checked before these run, so the casts only
// narrow what the schema already guarantees (a field is its type or absent).

export type Raw = Record<string, unknown>;

export function rec(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function records(value: unknown): Raw[] {
  return list(value).map(rec);
}

/** A non-empty string, else null: scanners write "" for unknown. */
export function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function texts(value: unknown): string[] {
  return list(value)
    .map(text)
    .filter((v): v is string => v !== null);
}

export function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(value))) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

export function parseEnv(value: unknown): EnvVar[] {
  return texts(value).map((entry) => {
    const eq = entry.indexOf('=');
    return eq === -1 ? { name: entry, value: '' } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
  });
}

/** `{"3000/tcp": {}}` → [3000]; sorted, without duplicates. */
export function parsePortMap(value: unknown): number[] {
  const ports = Object.keys(rec(value))
    .map((key) => Number.parseInt(key.split('/')[0] ?? '', 10))
    .filter((p) => Number.isInteger(p) && p >= 0 && p <= 65535);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The OCI config file (`created` plus the Docker-cased `config` object) as image facts. */
export function imageConfigDraft(configFile: Raw): ImageConfigDraft {
  const config = rec(configFile['config']);
  return {
    // Docker omits an empty User; with a config present that means root, not unknown.
    user: typeof config['User'] === 'string' ? config['User'] : Object.keys(config).length > 0 ? '' : null,
    exposedPorts: parsePortMap(config['ExposedPorts']),
    env: parseEnv(config['Env']),
    labels: stringMap(config['Labels']),
    created: toRfc3339(configFile['created']),
  };
}

/** The best CVSS base score: the severity source's, then NVD's, then the highest. */
export function pickCvssScore(cvss: unknown, preferred: string | null): number | null {
  const bySource = Object.entries(rec(cvss)).map(([source, v]) => {
    const r = rec(v);
    return { source, score: numberOrNull(r['V40Score']) ?? numberOrNull(r['V3Score']) ?? numberOrNull(r['V2Score']) };
  });
  const scored = bySource.filter((s): s is { source: string; score: number } => s.score !== null);
  const pick = scored.find((s) => s.source === preferred) ?? scored.find((s) => s.source === 'nvd');
  if (pick) return pick.score;
  return scored.length === 0 ? null : Math.max(...scored.map((s) => s.score));
}

/** The value of a CycloneDX `properties[]` entry. */
export function property(component: Raw, name: string): string | null {
  return text(records(component['properties']).find((p) => p['name'] === name)?.['value']);
}
