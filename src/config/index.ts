export { loadConfig, parseListen } from './load.js';
export type { Config, ConfigOverrides, KeyConfig, SigningPolicy } from './load.js';
export { DEFAULTS } from './defaults.js';
export { configFileSchema } from './schema.js';
export type { ConfigFile, KeyFile, SigningPolicyFile } from './schema.js';
export { fleetConfig, fleetSchema } from './fleet.js';
export type { FleetConfig, FleetFile, FleetGroupFile } from './fleet.js';
export { storeAuthConfig } from './store-auth.js';
export type { StoreAuthConfig, StoreSettings } from './store-auth.js';
