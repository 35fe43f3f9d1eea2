import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSchema, packageRoot, type Validator } from '../core/index.js';
import type { ClusterMetadataFile } from './metadata.js';
import type { NormalizedInput } from './types.js';

// The schemas ship as JSON files under schemas/ so that users and other tools
// can validate against exactly what this code enforces.

function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', name), 'utf8')) as Record<string, unknown>;
}

export const NORMALIZED_INPUT_SCHEMA_FILE = 'normalized-input.schema.json';
export const CLUSTER_METADATA_SCHEMA_FILE = 'cluster-metadata.schema.json';

/** Checks a value against schemas/normalized-input.schema.json, naming every offending JSON path. */
export const assertNormalizedInput: Validator<NormalizedInput> = compileSchema(() => loadSchema(NORMALIZED_INPUT_SCHEMA_FILE), 'INPUT_INVALID');

export const assertClusterMetadataFile: Validator<ClusterMetadataFile> = compileSchema(() => loadSchema(CLUSTER_METADATA_SCHEMA_FILE), 'INPUT_INVALID');

export function normalizedInputSchema(): Record<string, unknown> {
  return loadSchema(NORMALIZED_INPUT_SCHEMA_FILE);
}
