import { readFile } from 'node:fs/promises';
import { AppError, compileSchema, parseYamlStrict } from '../core/index.js';

/** The image policy's rule modes; Gatekeeper constraints get the matching enforcementAction. */
export type RuleMode = 'deny' | 'warn' | 'off';

export interface EnvironmentProfile {
  readonly name: string;
  readonly match?: { readonly environments?: readonly string[]; readonly namespaces?: readonly string[] };
  readonly rules?: Readonly<Record<string, { readonly enforcement?: RuleMode }>>;
}

/**
 * The part of the policy settings (data.portcullis.scan.settings) that
 * Gatekeeper can enforce on its own: rule modes, mutable tags, allowed
 * registries and namespace-matched environment profiles. Other keys belong to
 * rules that need scan results and are left to the library and the provider.
 */
export interface PolicySettings {
  readonly rules?: Readonly<Record<string, { readonly enforcement?: RuleMode }>>;
  readonly images?: { readonly mutable_tags?: readonly string[]; readonly allowed_registries?: readonly string[] };
  readonly environments?: readonly EnvironmentProfile[];
  readonly default_environment?: string;
}

const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const rules = {
  type: 'object',
  additionalProperties: { type: 'object', properties: { enforcement: { enum: ['deny', 'warn', 'off'] } } },
} as const;

// Only the keys read here are checked; the library's schema owns the rest.
const settingsSchema = {
  type: 'object',
  properties: {
    rules,
    images: { type: 'object', properties: { mutable_tags: strings, allowed_registries: strings } },
    environments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          match: { type: 'object', properties: { environments: strings, namespaces: strings } },
          rules,
        },
      },
    },
    default_environment: { type: 'string' },
  },
} as const;

export const assertPolicySettings = compileSchema<PolicySettings>(settingsSchema, 'CONFIG_INVALID');

/** Reads a settings YAML file; a missing file is a usage error naming it. */
export async function readPolicySettings(file: string): Promise<PolicySettings> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AppError('FILE_NOT_FOUND', `settings file ${file} cannot be read`, { cause: err });
  });
  return assertPolicySettings(parseYamlStrict(text, file, 'CONFIG_INVALID') ?? {}, file);
}

/** The library's defaults for the keys Gatekeeper uses (policies/scan/config.rego). */
export const DEFAULT_MUTABLE_TAGS: readonly string[] = ['latest'];

/** Catalog defaults of the rules with a Gatekeeper template. */
export const DEFAULT_MODES: Readonly<Record<string, RuleMode>> = {
  require_digest: 'deny',
  mutable_tag: 'deny',
  registry_not_allowed: 'deny',
};
