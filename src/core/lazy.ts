import { createRequire } from 'node:module';

// Heavy libraries most commands never need are loaded on first use, not at
// start-up: a CI gate that starts in 0.1 s instead of 0.3 s is the point.
const require = createRequire(import.meta.url);

let yamlModule: typeof import('yaml') | undefined;

export function yaml(): typeof import('yaml') {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
}
