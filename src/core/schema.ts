import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Schema, ValidateFunction } from 'ajv';
import { AppError, type ErrorCode, type ErrorDetail } from './errors.js';

let shared: Ajv | undefined;

/** Ajv is loaded on the first validation, not at start-up: it is among the costliest modules to load. */
function ajv(): Ajv {
  if (!shared) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    shared = new AjvClass({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  }
  return shared;
}

export type Validator<T> = (value: unknown, source: string) => T;

/**
 * Returns an assert function that names the source and every offending
 * field, so the user can fix all of them at once. The schema is compiled on
 * first use, so CLI commands that never validate it do not pay for it.
 */
export function compileSchema<T>(schema: Schema, code: ErrorCode): Validator<T> {
  let validate: ValidateFunction | undefined;
  return (value, source) => {
    validate ??= ajv().compile(schema);
    if (validate(value)) return value as T;
    const details = (validate.errors ?? []).map((e) => toDetail(e, source));
    const lines = details.map((d) => `  ${d.path || '/'}: ${d.message}`).join('\n');
    throw new AppError(code, `${source} is invalid:\n${lines}`, { details });
  };
}

function toDetail(error: ErrorObject, file: string): ErrorDetail {
  const extra = error.keyword === 'additionalProperties' ? ` '${String(error.params['additionalProperty'])}'` : '';
  const allowed = error.keyword === 'enum' ? ` (${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})` : '';
  return { file, path: error.instancePath, message: `${error.message ?? 'is invalid'}${extra}${allowed}` };
}
