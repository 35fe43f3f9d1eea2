import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/index.js';

let cached: { readonly name: string; readonly version: string } | undefined;

/** The tool reports name themselves with: portcullis and the installed package's version. */
export function toolInfo(): { readonly name: string; readonly version: string } {
  cached ??= { name: 'portcullis', version: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version };
  return cached;
}
