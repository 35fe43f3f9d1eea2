export { createApp } from './app.js';
export type { AppDependencies } from './app.js';
export { BundleRegistry } from './registry.js';
export type { BundleState, PublishedBundle, RegistryOptions } from './registry.js';
export { startServer, createLogger } from './server.js';
export type { RunningServer } from './server.js';
export { HTTP_STATUS } from './errors.js';
export { etagMatches } from './etag.js';
