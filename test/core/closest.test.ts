import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AppError, closest, compileSchema } from '../../src/core/index.js';

describe('did-you-mean hints', () => {
  it('suggests the closest known word only when it is a likely typo', () => {
    assert.equal(closest('polices', ['name', 'roots', 'policies', 'data']), 'policies');
    assert.equal(closest('Entrypoint', ['entrypoints', 'revision']), 'entrypoints');
    assert.equal(closest('zzzzzz', ['name', 'roots']), undefined);
  });

  it('names the closest allowed key of the object an unknown key sits in, nested objects included', () => {
    const assertDoc = compileSchema<unknown>(
      {
        type: 'object',
        additionalProperties: false,
        properties: { name: { type: 'string' }, signing: { type: 'object', additionalProperties: false, properties: { key_file: { type: 'string' } } } },
      },
      'DEFINITION_INVALID',
    );
    assert.throws(
      () => assertDoc({ nmae: 'x', signing: { keyfile: 'k.pem' } }, 'bundles/x.yaml'),
      (err: unknown) =>
        err instanceof AppError &&
        err.message.includes("'nmae' (did you mean 'name'?)") &&
        err.message.includes("/signing: must NOT have additional properties 'keyfile' (did you mean 'key_file'?)"),
    );
  });
});
