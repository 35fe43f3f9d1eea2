import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, compileSchema, parseJsonPreserving, parseYamlStrict, type JsonValue, type Validator } from '../core/index.js';
import { mountData } from '../bundle/index.js';
import type { DataSource } from './definition.js';

/** A data file and its schema as read, before parsing: enough to key the build cache. */
export interface RawDataSource {
  readonly source: DataSource;
  readonly file: string;
  readonly text: string;
  readonly schema?: { readonly file: string; readonly text: string };
}

/** Reads the definition's data files and their schemas; nothing is parsed yet. */
export async function readDataSources(sources: readonly DataSource[], from: string, definitionFile: string): Promise<RawDataSource[]> {
  return Promise.all(
    sources.map(async (source) => {
      const file = resolve(from, source.file);
      const text = await readText(file, `${definitionFile}: data file ${file} cannot be read`);
      if (source.schema === undefined) return { source, file, text };
      const schemaFile = resolve(from, source.schema);
      const schemaText = await readText(schemaFile, `${definitionFile}: schema file ${schemaFile} cannot be read`);
      return { source, file, text, schema: { file: schemaFile, text: schemaText } };
    }),
  );
}

/** Parses each data file, checks it against its schema, and mounts it at its path, refusing two files that write the same place. */
export function mountDataSources(raw: readonly RawDataSource[], definitionFile: string): Record<string, JsonValue> {
  const root: Record<string, JsonValue> = {};
  for (const { source, file, text, schema } of raw) {
    const value = file.endsWith('.json') ? parseJsonPreserving(text, file) : (parseYamlStrict(text, file) as JsonValue);
    if (schema) validatorFor(schema.file, schema.text, definitionFile)(plainJson(value), file);
    mountData(root, source.path ? source.path.split('/') : [], value, file, 'DEFINITION_INVALID');
  }
  return root;
}

async function readText(file: string, message: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', message, { cause: err });
  }
}

// Compiled validators by schema file and text: a build compiles each schema
// once, and an edited schema is compiled again.
const validators = new Map<string, Validator<unknown>>();

function validatorFor(file: string, text: string, definitionFile: string): Validator<unknown> {
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
    // Kept as written: a definition that names a schema shipped in schemas/ gets its precompiled validator.
    const compiled = compileSchema<unknown>(schema, 'DEFINITION_INVALID');
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
