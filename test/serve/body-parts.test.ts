import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import Koa from 'koa';
import { joinedBody, parseJsonParts, readBodyParts, type BodyOptions } from '../../src/serve/body.js';

const MIB = 1024 * 1024;
const options: BodyOptions = { maxBytes: 32 * MIB, limitName: 'test limit', maxDepth: 64, gzipRatio: 100, invalid: 'REQUEST_INVALID' };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that do not compress to nothing, so a gzip body is read in many inflated chunks too. */
function body(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
  return bytes;
}

describe('readBodyParts', () => {
  let server: Server;
  let port: number;

  before(async () => {
    const app = new Koa();
    app.use(async (ctx) => {
      const parts = await readBodyParts(ctx, options);
      ctx.body = { parts: parts.length, sha: sha(joinedBody(parts)) };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  /** Sends `bytes` in 256 KiB writes, with its length or chunked, and answers what the route read. */
  const send = (bytes: Buffer, headers: Record<string, string> = {}, declared = true): Promise<{ parts: number; sha: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ port, method: 'POST', headers: { ...headers, ...(declared ? { 'Content-Length': String(bytes.byteLength) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { parts: number; sha: string }));
      });
      req.on('error', reject);
      for (let at = 0; at < bytes.byteLength; at += 256 * 1024) req.write(bytes.subarray(at, at + 256 * 1024));
      req.end();
    });

  it('gives a plain body as the chunks it arrived in, which join to the bytes sent', async () => {
    const bytes = body(MIB);
    const read = await send(bytes);
    assert.ok(read.parts > 1, `a 1 MiB body arrives in several chunks (read ${read.parts})`);
    assert.equal(read.sha, sha(bytes));
  });

  it('gives one buffer for a plain body past 1 MiB, whether it declared its length or came chunked', async () => {
    const bytes = body(2 * MIB);
    assert.deepEqual(await send(bytes), { parts: 1, sha: sha(bytes) });
    assert.deepEqual(await send(bytes, {}, false), { parts: 1, sha: sha(bytes) });
  });

  it('gives one buffer for a gzip body, whose inflated chunks are copied', async () => {
    const bytes = body(2 * MIB);
    assert.deepEqual(await send(gzipSync(bytes), { 'Content-Encoding': 'gzip' }), { parts: 1, sha: sha(bytes) });
  });

  it('joins no parts to an empty body and one part to itself', () => {
    assert.equal(joinedBody([]).byteLength, 0);
    const only = new Uint8Array([1, 2, 3]);
    assert.equal(joinedBody([only]).buffer, only.buffer);
  });
});

describe('parseJsonParts', () => {
  const split = (bytes: Buffer, ...at: number[]) => [0, ...at].map((start, i) => bytes.subarray(start, at[i] ?? bytes.byteLength));

  it('parses a body split anywhere, ASCII or not, as the joined body', () => {
    const value = { image: 'registry.example/app:1', title: 'café ☕ 𝄞 naïve', n: [1, 2.5, null] };
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    const ascii = Buffer.from(JSON.stringify({ image: 'registry.example/app:1', n: [1, 2.5, null] }), 'utf8');
    for (let at = 1; at < bytes.byteLength; at += 1) assert.deepEqual(parseJsonParts(split(bytes, at), options), value, `split at byte ${at}`);
    assert.deepEqual(parseJsonParts(split(ascii, 3, 7, 20), options), JSON.parse(ascii.toString('utf8')));
  });

  it('refuses bytes that are not UTF-8 wherever the parts split them, and drops a split BOM', () => {
    const notUtf8 = (parts: Buffer[]) =>
      assert.throws(
        () => parseJsonParts(parts, options),
        (err: Error & { code?: string }) => err.code === 'REQUEST_INVALID' && /not valid UTF-8/.test(err.message),
      );
    const euro = Buffer.from('{"a": "€"}', 'utf8');
    notUtf8(split(Buffer.concat([euro.subarray(0, 8), euro.subarray(9)]), 7)); // a character cut short at the split
    notUtf8(split(Buffer.from([...Buffer.from('{"a": "x'), 0xff, ...Buffer.from('"}')]), 3, 9)); // a byte UTF-8 never uses
    notUtf8([Buffer.from('{"a": "'), Buffer.from([0x82, 0xac]), Buffer.from('"}')]); // a character without its first byte
    assert.deepEqual(parseJsonParts(split(euro, 8, 8, 9), options), { a: '€' }, 'a character split around an empty part');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), euro]);
    for (let at = 1; at < 5; at += 1) assert.deepEqual(parseJsonParts(split(bom, at), options), { a: '€' }, `BOM split at byte ${at}`);
  });

  it('refuses broken JSON in parts as a client error, and reads no parts as no body', () => {
    assert.throws(
      () => parseJsonParts(split(Buffer.from('{"input": '), 4), options),
      (err: Error & { code?: string }) => err.code === 'REQUEST_INVALID',
    );
    assert.equal(parseJsonParts([], options), undefined);
    assert.equal(parseJsonParts(split(Buffer.from('  \n '), 2), options), undefined);
  });
});
