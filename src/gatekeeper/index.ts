// Gatekeeper cannot load OPA bundles, so portcullis hands it what it can
// consume: ConstraintTemplates, Constraints generated from the policy
// settings, and the Provider object of the portcullis external-data endpoint.
export { DEFAULT_GATEKEEPER_OPTIONS, documentYaml, generateManifests, manifestFiles, manifestsYaml, providerManifest } from './manifests.js';
export type { GatekeeperOptions, ManifestSet, ProviderOptions } from './manifests.js';
export { ACTION_OF, MATCH_KINDS } from './constraints.js';
export type { EnforcementAction } from './constraints.js';
export { TEMPLATES, constraintTemplate } from './templates.js';
export type { Manifest, TemplateDefinition } from './templates.js';
export { assertPolicySettings, readPolicySettings } from './settings.js';
export type { EnvironmentProfile, PolicySettings, RuleMode } from './settings.js';
export { resolveGatekeeperOptions } from './options.js';
export type { GatekeeperOptionInputs } from './options.js';
export { MemoryScanResults } from './scans.js';
export type { ScanHistoryEntry, ScanResults, StoredScan } from './scans.js';
export {
  MAX_PROVIDER_KEYS,
  PROVIDER_API_VERSION,
  answerKeys,
  parseProviderRequest,
  providerResponse,
  storedVerdicts,
  summaryOf,
  verdictOf,
} from './provider.js';
export type { ProviderItem, ProviderResponse, ScanVerdict, VerdictKey, VerdictLookup } from './provider.js';
export { issueCertificates, serviceDnsNames } from './certs.js';
export type { CertificateRequest, IssuedCertificates } from './certs.js';
export { DEFAULT_ADMISSION_OPTIONS, imageVerdictOf, reviewAdmission } from './admission.js';
export type { AdmissionDependencies, AdmissionOptions, AdmissionRecord, ImageVerdict, NamespaceLabels, SplitInput } from './admission.js';
export { ADMISSION_API_VERSION, admissionRequestOf, admissionResponse } from './admission-review.js';
export type { AdmissionRequestFacts, AdmissionVerdict } from './admission-review.js';
export { decideReport, reportUploadOf } from './reports.js';
export type { ReportUpload } from './reports.js';
export { DecisionCache } from './decision-cache.js';
