import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, ErrorObject, Options, Schema, ValidateFunction } from 'ajv';
import { closest } from './closest.js';
import { AppError, type ErrorCode, type ErrorDetail } from './errors.js';
import { packageRoot } from './package-root.js';

const require = createRequire(import.meta.url);

export const AJV_OPTIONS: Options = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true };

const OPTIONS_KEY = JSON.stringify(AJV_OPTIONS);

/** Where `npm run build` writes the shipped schemas' validators as ajv standalone code (see precompile.ts). */
export const PRECOMPILED_DIR = ['dist', 'validators'] as const;

let shared: Ajv | undefined;

/** Ajv is loaded only for a schema that was not precompiled: loading it and compiling costs more than the rest of a CI gate. */
function ajv(): Ajv {
  if (!shared) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    shared = new AjvClass(AJV_OPTIONS);
  }
  return shared;
}

/** A schema, or how to read it when it is first needed (the large ones live in files under schemas/). */
export type SchemaSource = Schema | (() => Schema);

const declared: Array<() => Schema> = [];

/** Every schema given to compileSchema by the modules loaded so far; the build precompiles them. */
export function declaredSchemas(): ReadonlyArray<() => Schema> {
  return declared;
}

/** Names a validator by its schema's content, so a precompiled one can never be used for an edited schema. */
export function schemaKey(schema: Schema): string {
  return createHash('sha256').update(OPTIONS_KEY).update(JSON.stringify(schema)).digest('hex');
}

function precompiled(schema: Schema): ValidateFunction | undefined {
  const file = join(packageRoot(), ...PRECOMPILED_DIR, `${schemaKey(schema)}.cjs`);
  return existsSync(file) ? (require(file) as ValidateFunction) : undefined;
}

/** Compiles with the shared Ajv; a schema whose $id it has seen (an edited file, compiled again) replaces the old one. */
function compiled(schema: Schema): ValidateFunction {
  const id = typeof schema === 'object' ? schema.$id : undefined;
  if (id !== undefined) ajv().removeSchema(id);
  return ajv().compile(schema);
}

export type Validator<T> = (value: unknown, source: string) => T;

/**
 * Returns an assert function that names the source and every offending
 * field, so the user can fix all of them at once. The validator is the
 * precompiled one when the build made it, else compiled by ajv on first use,
 * so CLI commands that never validate a schema do not pay for it.
 */
export function compileSchema<T>(source: SchemaSource, code: ErrorCode): Validator<T> {
  let schema: Schema | undefined;
  const read = (): Schema => (schema ??= typeof source === 'function' ? source() : source);
  declared.push(read);
  let validate: ValidateFunction | undefined;
  return (value, label) => {
    validate ??= precompiled(read()) ?? compiled(read());
    if (validate(value)) return value as T;
    const details = (validate.errors ?? []).map((e) => toDetail(e, label, read()));
    const lines = details.map((d) => `  ${d.path || '/'}: ${d.message}`).join('\n');
    throw new AppError(code, `${label} is invalid:\n${lines}`, { details });
  };
}

function toDetail(error: ErrorObject, file: string, schema: Schema): ErrorDetail {
  const extra = error.keyword === 'additionalProperties' ? unknownKey(String(error.params['additionalProperty']), error.schemaPath, schema) : '';
  const allowed = error.keyword === 'enum' ? ` (${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})` : '';
  return { file, path: error.instancePath, message: `${error.message ?? 'is invalid'}${extra}${allowed}` };
}

/** " 'polices' (did you mean 'policies'?)": the closest key the schema object at the error allows. */
function unknownKey(key: string, schemaPath: string, schema: Schema): string {
  const parent = schemaPath
    .replace(/^#\//, '')
    .split('/')
    .slice(0, -1)
    .reduce<unknown>(
      (node, segment) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined,
      schema,
    );
  const properties = parent !== null && typeof parent === 'object' ? (parent as { properties?: unknown }).properties : undefined;
  const known = properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
  const hint = closest(key, known);
  return ` '${key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`;
}
