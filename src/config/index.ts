export { loadConfig, parseListen } from './load.js';
export type { Config, ConfigOverrides } from './load.js';
export { DEFAULTS } from './defaults.js';
export { configFileSchema } from './schema.js';
export type { ConfigFile } from './schema.js';
