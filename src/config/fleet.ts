import { resolve } from 'node:path';

/** `fleet:` in the serve configuration: which agents get which bundles, through discovery. */
export interface FleetFile {
  readonly discovery?: {
    readonly bundle?: string;
    readonly service?: string;
    /** Signs the discovery bundle, which carries the keys for every other bundle. */
    readonly signing?: { readonly key: string; readonly algorithm: string; readonly keyid: string; readonly scope?: string };
  };
  readonly groups: readonly FleetGroupFile[];
}

export interface FleetGroupFile {
  readonly name: string;
  /** Agent labels that select the group; `{}` selects every agent. The first matching group wins. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly bundles: readonly string[];
  /** Pins `signing.keyid` for the group's bundles: a bundle without a valid signature by that key is refused. */
  readonly keyid?: string;
  readonly scope?: string;
  readonly long_polling_timeout_seconds?: number;
  readonly polling?: { readonly min_delay_seconds: number; readonly max_delay_seconds: number };
  /** Agents that persist bundles cannot take delta bundles (OPA rejects them). */
  readonly persist?: boolean;
  readonly status?: boolean;
  readonly decision_logs?: boolean;
}

export interface FleetConfig extends Omit<FleetFile, 'discovery'> {
  readonly discovery: {
    readonly bundle: string;
    readonly service: string;
    readonly signing?: { readonly key: string; readonly algorithm: string; readonly keyid: string; readonly scope?: string };
  };
}

const NAME = '^[a-z0-9][a-z0-9._-]{0,62}$';

export const fleetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['groups'],
  properties: {
    discovery: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bundle: { type: 'string', pattern: NAME },
        service: { type: 'string', minLength: 1 },
        signing: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'algorithm', 'keyid'],
          properties: {
            key: { type: 'string', minLength: 1 },
            algorithm: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] },
            keyid: { type: 'string', minLength: 1 },
            scope: { type: 'string' },
          },
        },
      },
    },
    groups: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'bundles'],
        properties: {
          name: { type: 'string', pattern: NAME },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          bundles: { type: 'array', items: { type: 'string', pattern: NAME } },
          keyid: { type: 'string', minLength: 1 },
          scope: { type: 'string' },
          long_polling_timeout_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
          polling: {
            type: 'object',
            additionalProperties: false,
            required: ['min_delay_seconds', 'max_delay_seconds'],
            properties: { min_delay_seconds: { type: 'integer', minimum: 1 }, max_delay_seconds: { type: 'integer', minimum: 1 } },
          },
          persist: { type: 'boolean' },
          status: { type: 'boolean' },
          decision_logs: { type: 'boolean' },
        },
      },
    },
  },
} as const;

/** Fills the defaults and resolves file paths against the configuration file's folder. */
export function fleetConfig(file: FleetFile | undefined, base: string): FleetConfig | undefined {
  if (!file) return undefined;
  const signing = file.discovery?.signing;
  return {
    groups: file.groups,
    discovery: {
      bundle: file.discovery?.bundle ?? 'discovery',
      service: file.discovery?.service ?? 'portcullis',
      ...(signing ? { signing: { ...signing, key: resolve(base, signing.key) } } : {}),
    },
  };
}
