// The check use case, independent of the CLI and of HTTP: inputs in,
// normalized (src/inputs), evaluated by the image policy's decision rule, out
// as the decision model every report format renders (src/report).

export {
  DECISION_ENTRYPOINT,
  REPORT_ENTRYPOINT,
  VERDICT_ENTRYPOINT,
  evaluateDecision,
  evaluateDecisionShared,
  evaluateDecisionText,
  evaluateMessagesShared,
  messagesOf,
  runCheck,
  runCheckFiles,
  targetOf,
  worstOf,
} from './run.js';
export type { CheckOptions, CheckResult, DecisionMessages, DecisionPolicy, ImageResult } from './run.js';
export { assertDecision, decisionSchema } from './decision-schema.js';
export { SETTINGS_PATH, withSettings } from './settings.js';
export { buildPoliciesBundle, defaultSettings, loadCheckPolicy } from './policy.js';
export type { BuildPoliciesOptions, SettingsOverride } from './policy.js';
export { PolicyCache } from './cache.js';
export type { BundleRevision, LoadedRevision } from './cache.js';
export { checkOptionsFromBody, checkRequestFromBody, checkRequestSchema } from './http-request.js';
export type { CheckRequestBody, InlineFile } from './http-request.js';
export { ruleHelpFromBundle } from './rule-help.js';
