#!/usr/bin/env node
// Writes every shipped JSON Schema's validator as ajv standalone code into
// dist/validators/<content hash>.cjs, so that commands validate without
// loading ajv or compiling schemas at start-up (that alone cost a CI gate
// more than opa eval's whole run). Run by `npm run build`, after tsc.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist/src');
const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

// Loading a module declares its schemas; the CLI entry point is left out, it only wires commands.
const modules = readdirSync(DIST, { recursive: true })
  .filter((file) => file.endsWith('.js') && !file.startsWith('cli/'))
  .sort();
for (const file of modules) await import(pathToFileURL(join(DIST, file)).href);
const { AJV_OPTIONS, PRECOMPILED_DIR, declaredSchemas, schemaKey } = await import(pathToFileURL(join(DIST, 'core/index.js')).href);

// The files under schemas/ too, as written: bundle definitions name them for their data (`schema:`).
const shipped = readdirSync(join(ROOT, 'schemas'))
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')));

// Written beside the folder and swapped in, so that a running command never sees it half written.
const out = join(ROOT, ...PRECOMPILED_DIR);
const next = `${out}.${process.pid}`;
mkdirSync(next, { recursive: true });
const written = new Set();
const all = [...declaredSchemas().map((d) => ({ schema: d.read(), allErrors: d.allErrors })), ...shipped.map((schema) => ({ schema, allErrors: true }))];
for (const { schema, allErrors } of all) {
  const key = schemaKey(schema, allErrors);
  if (written.has(key)) continue;
  // One Ajv per schema: shipped schemas may share an $id across versions of a format.
  const ajv = new Ajv({ ...AJV_OPTIONS, allErrors, code: { source: true } });
  writeFileSync(join(next, `${key}.cjs`), standaloneCode(ajv, ajv.compile(schema)));
  written.add(key);
}
rmSync(out, { recursive: true, force: true });
renameSync(next, out);
console.log(`precompiled ${written.size} schema validators into ${relative(ROOT, out)}/`);
