import { parseSingleDocument, type InputLimits } from './read.js';
import { assertClusterMetadataFile } from './schemas.js';
import type { ClusterMetadata } from './types.js';

/** schemas/cluster-metadata.schema.json: where the image is deployed, which policies use to pick thresholds. */
export interface ClusterMetadataFile {
  readonly namespace?: string;
  readonly namespace_labels?: Record<string, string>;
  readonly environment?: string;
  readonly cluster?: string;
  readonly labels?: Record<string, string>;
}

export function parseClusterMetadata(bytes: Uint8Array, file: string, limits: InputLimits): ClusterMetadataFile {
  return assertClusterMetadataFile(parseSingleDocument(bytes, file, limits) ?? {}, file);
}

/** Metadata as policies see it; the namespace falls back to the first workload's. */
export function clusterMetadata(file: ClusterMetadataFile | null, workloadNamespace: string | null): ClusterMetadata {
  return {
    namespace: file?.namespace ?? workloadNamespace,
    namespace_labels: file?.namespace_labels ?? {},
    environment: file?.environment ?? null,
    cluster: file?.cluster ?? null,
    labels: file?.labels ?? {},
  };
}
