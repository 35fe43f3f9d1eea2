import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError, compileSchema, parseYamlStrict } from '../core/index.js';

export type RevisionStrategy = { readonly strategy: 'content' } | { readonly strategy: 'static'; readonly value: string } | { readonly strategy: 'git' };

export interface DataSource {
  /** File (YAML or JSON) relative to the definition file. */
  readonly file: string;
  /** Data path the file is mounted at, slash-separated; default: the root of data. */
  readonly path?: string;
  /** JSON Schema file (relative to the definition file) the data must satisfy; checked at build time. */
  readonly schema?: string;
}

/** A bundle definition, as written in `bundles/<name>.yaml`. */
export interface BundleDefinition {
  readonly name: string;
  readonly roots: readonly string[];
  /** Rego files or globs relative to the definition file; `*_test.rego` files are left out. */
  readonly policies: readonly string[];
  readonly data?: readonly DataSource[];
  /** Wasm entrypoints in slash form, such as `portcullis/image/pinned/deny`. */
  readonly entrypoints: readonly string[];
  readonly revision?: RevisionStrategy;
  /** Largest file the bundle may hold, matching the agents' size_limit_bytes. */
  readonly max_file_bytes?: number;
  /** Sign the bundle at build time; the signature covers exactly the bytes written. */
  readonly signing?: BundleSigning;
}

/** Build-time signing. Key paths are relative to the definition file and never logged or bundled. */
export interface BundleSigning {
  readonly algorithm: string;
  /** PEM private key file (RS*, PS*, ES*). */
  readonly key?: string;
  /** HS*: file holding the secret, or environment variable holding it. */
  readonly secret_file?: string;
  readonly secret_env?: string;
  readonly keyid?: string;
  readonly scope?: string;
  readonly exclude_files?: readonly string[];
}

/** A definition with the location it was read from, which anchors its relative paths. */
export interface LoadedDefinition extends BundleDefinition {
  readonly file: string;
  /** Directory module paths inside the bundle are relative to: the parent of the definitions folder. */
  readonly base: string;
}

const ROOT_PATTERN = '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$';

export const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'roots', 'policies', 'entrypoints'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    roots: { type: 'array', minItems: 1, items: { type: 'string', pattern: ROOT_PATTERN } },
    policies: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    data: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['file'],
        properties: {
          file: { type: 'string', minLength: 1 },
          path: { type: 'string', pattern: ROOT_PATTERN },
          schema: { type: 'string', minLength: 1 },
        },
      },
    },
    entrypoints: { type: 'array', minItems: 1, items: { type: 'string', pattern: ROOT_PATTERN } },
    revision: {
      type: 'object',
      additionalProperties: false,
      required: ['strategy'],
      properties: { strategy: { enum: ['content', 'static', 'git'] }, value: { type: 'string', minLength: 1 } },
      if: { properties: { strategy: { const: 'static' } } },
      then: { required: ['value'] },
    },
    max_file_bytes: { type: 'integer', minimum: 1 },
    signing: {
      type: 'object',
      additionalProperties: false,
      required: ['algorithm'],
      properties: {
        algorithm: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'] },
        key: { type: 'string', minLength: 1 },
        secret_file: { type: 'string', minLength: 1 },
        secret_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        keyid: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
        scope: { type: 'string' },
        exclude_files: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
      oneOf: [{ required: ['key'] }, { required: ['secret_file'] }, { required: ['secret_env'] }],
    },
  },
} as const;

const assertDefinition = compileSchema<BundleDefinition>(definitionSchema, 'DEFINITION_INVALID');

export async function loadDefinitions(dir: string): Promise<LoadedDefinition[]> {
  const absolute = resolve(dir);
  let names: string[];
  try {
    names = await readdir(absolute);
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', `bundle definitions folder ${dir} cannot be read`, { cause: err });
  }
  const files = names.filter((n) => /\.ya?ml$/.test(n)).sort();
  if (files.length === 0) throw new AppError('DEFINITION_INVALID', `no bundle definitions (*.yaml) in ${dir}`);
  const definitions = await Promise.all(files.map((f) => loadDefinition(join(absolute, f))));
  assertUniqueNames(definitions);
  return definitions;
}

/** Reads and validates one definition file. */
export async function loadDefinition(file: string): Promise<LoadedDefinition> {
  const text = await readFile(file, 'utf8');
  const definition = assertDefinition(parseYamlStrict(text, file, 'DEFINITION_INVALID'), file);
  return { ...definition, file, base: dirname(dirname(file)) };
}

function assertUniqueNames(definitions: readonly LoadedDefinition[]): void {
  const seen = new Map<string, string>();
  for (const d of definitions) {
    const other = seen.get(d.name);
    if (other) throw new AppError('DEFINITION_INVALID', `bundle name '${d.name}' is defined twice: ${basename(other)} and ${basename(d.file)}`);
    seen.set(d.name, d.file);
  }
}
