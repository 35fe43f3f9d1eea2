export { discoveryParts, DISCOVERY_DECISION, DISCOVERY_ROOT } from './discovery.js';
export type { TrustedKey } from './discovery.js';
export { parseDecisionQuery } from './decision-query.js';
export type { PageLimits } from './decision-query.js';
export { AGENT_COLUMNS, DECISION_COLUMNS } from './rows.js';
