export { discoveryParts, DISCOVERY_DECISION, DISCOVERY_ROOT } from './discovery.js';
export type { TrustedKey } from './discovery.js';
