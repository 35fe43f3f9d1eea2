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
