// Scan reports, Dockerfiles, Kubernetes objects and cluster metadata in; one
// normalized input (docs/input-format.md) out. The only module other domains import.

export { normalize, normalizeByImage, parseReport, parseNow } from './normalize.js';
export type { InputFile, NormalizeRequest, ParsedReportFile, ReportFile } from './normalize.js';
export { normalizeFiles, normalizeFilesByImage } from './files.js';
export type { NormalizeFilesRequest, ReportPath } from './files.js';
export { REPORT_FORMATS, assertReportFormat, detectReportFormat } from './formats/index.js';
export type { ParsedReport, ReportFormat } from './formats/index.js';
export { parseDockerfile } from './dockerfile.js';
export { parseManifest, POD_SPEC_PATH } from './kubernetes.js';
export { parseClusterMetadata } from './metadata.js';
export type { ClusterMetadataFile } from './metadata.js';
export { parseImageRef } from './image-ref.js';
export { ageInDays, isFixAvailable, normalizeSeverity, packageClass, SEVERITY_RANK } from './derive.js';
export { agedTo } from './aging.js';
export type { AgedInput } from './aging.js';
export { DEFAULT_INPUT_LIMITS } from './read.js';
export type { InputLimits } from './read.js';
export {
  assertClusterMetadataFile,
  assertNormalizedInput,
  CLUSTER_METADATA_SCHEMA_FILE,
  NORMALIZED_INPUT_SCHEMA_FILE,
  normalizedInputSchema,
} from './schemas.js';
export type * from './types.js';
export type * from './dockerfile-types.js';
export type * from './workload-types.js';
