import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/index.js';

/** Rego files of the templates live in gatekeeper/rego/, where opa and the tests read them too. */
const cache = new Map<string, string>();

export function regoSource(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(packageRoot(), 'gatekeeper', 'rego', `${name}.rego`), 'utf8');
    cache.set(name, text);
  }
  return text;
}
