// Preloaded by run-tests.mjs: runs the TypeScript sources through typescript-hooks.mjs.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./typescript-hooks.mjs', import.meta.url);
