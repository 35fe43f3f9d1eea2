import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, EXIT, EXIT_CODES, exitCodeFor, wrapError, type ErrorCode } from '../../src/core/index.js';
import { HTTP_STATUS } from '../../src/serve/index.js';

describe('error codes', () => {
  it('map to one exit code each, the same in every command: only a refused signature is a verdict (1)', () => {
    const codes = Object.keys(EXIT_CODES) as ErrorCode[];
    assert.deepEqual(codes.sort(), (Object.keys(HTTP_STATUS) as ErrorCode[]).sort(), 'the exit and HTTP tables list the same codes');
    assert.deepEqual(
      codes.filter((c) => exitCodeFor(c) === EXIT.FAIL),
      ['SIGNATURE_INVALID'],
    );
    assert.equal(exitCodeFor('COMPILE_FAILED'), EXIT.USAGE, 'a policy that does not compile is the user input');
    for (const code of codes) assert.notEqual(exitCodeFor(code), EXIT.OK, code);
    // Client mistakes are never a 5xx, and server faults never exit 2, except the server's own configuration and an
    // upstream registry the user of push and pull can fix (credentials, reference, artifact, CA) while serve answers 502.
    const userFixable = ['CONFIG_INVALID', 'KEY_INVALID', 'REGISTRY_AUTH_FAILED', 'REGISTRY_NOT_FOUND', 'REGISTRY_ARTIFACT_INVALID', 'REGISTRY_TLS_FAILED'];
    for (const code of codes) {
      if (HTTP_STATUS[code] >= 500 && !userFixable.includes(code)) assert.equal(exitCodeFor(code), EXIT.INTERNAL, code);
    }
  });

  it('wrap a caught error with one helper that keeps it as the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const wrapped = wrapError(cause, 'STORE_UNAVAILABLE', 'the postgres store cannot be opened');
    assert.ok(wrapped instanceof AppError);
    assert.equal(wrapped.code, 'STORE_UNAVAILABLE');
    assert.equal(wrapped.message, 'the postgres store cannot be opened: ECONNREFUSED');
    assert.equal(wrapped.cause, cause);
  });
});
