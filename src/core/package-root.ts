import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The installed package's root (it holds tools/, policies/ and schemas/), from src/ under tsx or dist/src/ when built. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'tools'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the portcullis package root');
    dir = parent;
  }
  cached = dir;
  return dir;
}

let tool: { readonly name: string; readonly version: string } | undefined;

/** The tool reports name themselves with: portcullis and the installed package's version. */
export function toolInfo(): { readonly name: string; readonly version: string } {
  tool ??= { name: 'portcullis', version: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version };
  return tool;
}
