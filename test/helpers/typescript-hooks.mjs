// Module hooks that run the TypeScript sources under test: `./x.js` imported
// from a .ts file is `./x.ts` when that exists, and .ts files are stripped of
// their types by esbuild. Outputs are cached on disk by content, so a test
// process only reads them. Leaner than tsx's general-purpose hooks, which cost
// each test process more than a second of CPU (see run-tests.mjs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), `portcullis-ts-${userInfo().uid}`);
// tsconfig.json's target is ES2022, under which TypeScript defines class fields.
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } } };
let esbuild;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const source = readFileSync(path, 'utf8');
  esbuild ??= await import('esbuild');
  const key = createHash('sha256')
    .update(`${esbuild.version}\0${JSON.stringify(OPTIONS)}\0${path}\0${source}`)
    .digest('hex');
  const cached = join(CACHE, `${key}.mjs`);
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  const { code } = await esbuild.transform(source, { ...OPTIONS, sourcefile: path });
  mkdirSync(CACHE, { recursive: true });
  const partial = `${cached}.${process.pid}`;
  writeFileSync(partial, code);
  renameSync(partial, cached);
  return { format: 'module', source: code, shortCircuit: true };
}
