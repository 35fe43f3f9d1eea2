// The error-code table of docs/http-api.md is the code's own: every code,
// with the HTTP status and the exit code the tables in src/ give it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeFor, type ErrorCode } from '../../src/core/index.js';
import { HTTP_STATUS } from '../../src/serve/index.js';
import { REPO } from '../helpers/processes.js';

describe('docs/http-api.md', () => {
  it('lists every error code with its HTTP status and exit code', () => {
    const doc = readFileSync(join(REPO, 'docs', 'http-api.md'), 'utf8');
    const documented = new Map(
      [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (\d) \|/gm)].map((m) => [m[1] ?? '', { http: Number(m[2]), exit: Number(m[3]) }]),
    );
    const codes = Object.keys(HTTP_STATUS) as ErrorCode[];
    const expected = new Map(codes.map((code) => [code, { http: HTTP_STATUS[code], exit: exitCodeFor(code) }]));
    assert.deepEqual(Object.fromEntries(documented), Object.fromEntries(expected));
  });
});
