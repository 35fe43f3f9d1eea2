import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, compileSchema, parseJsonPreserving, parseYamlStrict, type JsonValue, type Validator } from '../core/index.js';
import { mountData } from '../bundle/index.js';
import type { DataSource } from './definition.js';

/** Reads the definition's data files and mounts each at its path, refusing two files that write the same place. */
export async function loadDataSources(sources: readonly DataSource[], from: string, definitionFile: string): Promise<Record<string, JsonValue>> {
  const root: Record<string, JsonValue> = {};
  for (const source of sources) {
    const file = resolve(from, source.file);
    const value = await readDataFile(file, definitionFile);
    if (source.schema !== undefined) {
      const validate = await loadSchema(resolve(from, source.schema), definitionFile);
      validate(plainJson(value), file);
    }
    mountData(root, source.path ? source.path.split('/') : [], value, file, 'DEFINITION_INVALID');
  }
  return root;
}

async function readDataFile(file: string, definitionFile: string): Promise<JsonValue> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', `${definitionFile}: data file ${file} cannot be read`, { cause: err });
  }
  if (file.endsWith('.json')) return parseJsonPreserving(text, file);
  return parseYamlStrict(text, file) as JsonValue;
}

// Compiled validators by schema file and text: a build compiles each schema
// once, and an edited schema is compiled again.
const validators = new Map<string, Validator<unknown>>();

async function loadSchema(file: string, definitionFile: string): Promise<Validator<unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', `${definitionFile}: schema file ${file} cannot be read`, { cause: err });
  }
  const key = `${file}\n${text}`;
  let validate = validators.get(key);
  if (!validate) {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (err) {
      throw new AppError('DEFINITION_INVALID', `${definitionFile}: schema file ${file} is not valid JSON`, { cause: err });
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new AppError('DEFINITION_INVALID', `${definitionFile}: schema file ${file} is not a JSON Schema object`);
    }
    // The $id is dropped so that the shared Ajv instance never sees one schema
    // id twice (an edited schema is compiled again under the same id).
    const { $id: _id, ...withoutId } = schema as Record<string, unknown>;
    const compiled = compileSchema<unknown>(withoutId, 'DEFINITION_INVALID');
    validate = (value, source) => {
      try {
        return compiled(value, source);
      } catch (err) {
        if (err instanceof AppError && err.code === 'DEFINITION_INVALID' && err.details.length > 0) throw err;
        throw new AppError('DEFINITION_INVALID', `${definitionFile}: schema file ${file} cannot be used: ${(err as Error).message}`, { cause: err });
      }
    };
    validators.set(key, validate);
  }
  return validate;
}

/** The data as plain JSON values (numbers kept as lexemes become numbers), which is what a JSON Schema describes. */
function plainJson(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}
