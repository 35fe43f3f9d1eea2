import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Schema, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { AJV_OPTIONS, AppError, compileSchema, declaredSchemas, packageRoot, PRECOMPILED_DIR, schemaKey } from '../../src/core/index.js';

// run-tests: own process: the schemas the shipped modules declare are those declared while this file loads them all.
const require = createRequire(import.meta.url);
const SRC = join(packageRoot(), 'src');
const precompiledFile = (schema: Schema, allErrors = true): string => join(packageRoot(), ...PRECOMPILED_DIR, `${schemaKey(schema, allErrors)}.cjs`);

/** Loads every module the build's precompile step loads, so that their schemas are declared here too. */
async function declareShippedSchemas(): Promise<void> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('cli/'));
  for (const file of files.sort()) await import(pathToFileURL(join(SRC, file)).href);
}

test('a schema the build did not precompile is compiled by ajv and names the source and every field', () => {
  const assertPoint = compileSchema<{ x: number }>(
    { type: 'object', properties: { x: { type: 'number' }, y: { enum: ['a', 'b'] } }, required: ['x'], additionalProperties: false },
    'INPUT_INVALID',
  );
  assert.deepEqual(assertPoint({ x: 1 }, 'point.json'), { x: 1 });
  assert.throws(
    () => assertPoint({ y: 'c', z: true }, 'point.json'),
    (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'INPUT_INVALID');
      assert.match(err.message, /^point\.json is invalid:/);
      assert.match(err.message, /must have required property 'x'/);
      assert.match(err.message, /must NOT have additional properties 'z'/);
      assert.match(err.message, /\/y: must be equal to one of the allowed values \("a", "b"\)/);
      return true;
    },
  );
});

test('the build precompiled every declared schema and every file in schemas/, and the precompiled validators agree with ajv', async () => {
  const before = declaredSchemas().length;
  await declareShippedSchemas();
  const files = readdirSync(join(packageRoot(), 'schemas')).filter((f) => f.endsWith('.json'));
  const shipped = files.map((f) => JSON.parse(readFileSync(join(packageRoot(), 'schemas', f), 'utf8')) as Schema);
  const schemas = [
    ...declaredSchemas()
      .slice(before)
      .map((d) => ({ schema: d.read(), allErrors: d.allErrors })),
    ...shipped.map((schema) => ({ schema, allErrors: true })),
  ];
  assert.ok(schemas.length >= 15, `only ${schemas.length} schemas declared`);
  const samples: unknown[] = [null, [], {}, { unexpected: 1 }, { SchemaVersion: 'two', Results: {} }, { matches: [{}] }, { apiVersion: 1, kind: [] }];
  for (const { schema, allErrors } of schemas) {
    const file = precompiledFile(schema, allErrors);
    assert.ok(existsSync(file), `no precompiled validator ${file} for ${JSON.stringify(schema).slice(0, 120)}...: run npm run build`);
    const precompiled = require(file) as ValidateFunction;
    const compiled = new Ajv({ ...AJV_OPTIONS, allErrors }).compile(schema);
    for (const sample of samples) {
      assert.equal(precompiled(sample), compiled(sample), `verdicts differ on ${JSON.stringify(sample)}`);
      assert.deepEqual(precompiled.errors ?? null, compiled.errors ?? null, `errors differ on ${JSON.stringify(sample)}`);
    }
  }
});

test('a schema compiled again under the same $id (an edited file) replaces the old one', () => {
  const id = 'https://example.test/edited.schema.json';
  const first = compileSchema({ $id: id, type: 'object', required: ['a'] }, 'DEFINITION_INVALID');
  const second = compileSchema({ $id: id, type: 'object', required: ['b'] }, 'DEFINITION_INVALID');
  assert.throws(() => first({}, 'v1.json'), /must have required property 'a'/);
  assert.throws(() => second({ a: 1 }, 'v2.json'), /must have required property 'b'/);
  assert.deepEqual(first({ a: 1 }, 'v1.json'), { a: 1 });
});
