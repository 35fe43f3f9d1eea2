import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, parseJsonPreserving, parseYamlStrict, type JsonValue } from '../core/index.js';
import { mountData } from '../bundle/index.js';
import type { DataSource } from './definition.js';

/** Reads the definition's data files and mounts each at its path, refusing two files that write the same place. */
export async function loadDataSources(sources: readonly DataSource[], from: string, definitionFile: string): Promise<Record<string, JsonValue>> {
  const root: Record<string, JsonValue> = {};
  for (const source of sources) {
    const file = resolve(from, source.file);
    const value = await readDataFile(file, definitionFile);
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
