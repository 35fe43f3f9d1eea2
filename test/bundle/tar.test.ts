import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DEFAULT_READ_LIMITS, readTarGz, writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { Header } from 'tar';
import { rawTarGz } from '../helpers/tar.js';

const enc = new TextEncoder();
const file = (path: string, text: string): BundleFile => ({ path, bytes: enc.encode(text) });

describe('writeTarGz', () => {
  const files = [file('/z.rego', 'package z\n'), file('/.manifest', '{}'), file('/a/data.json', '{"x":1}')];

  it('gives byte-identical archives for identical inputs in any order', () => {
    const a = writeTarGz(files);
    const b = writeTarGz([...files].reverse());
    assert.deepEqual(Buffer.from(a), Buffer.from(b));
  });

  it('writes a portable gzip header: no mtime, OS byte 255', () => {
    const gz = writeTarGz(files);
    assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 0x08]);
    assert.equal(Buffer.from(gz.subarray(4, 8)).readUInt32LE(0), 0, 'mtime');
    assert.equal(gz[9], 255, 'OS byte');
  });

  it('writes sorted regular files with leading slashes, mode 0644, mtime 0 and no owner', () => {
    const tar = gunzipSync(writeTarGz(files));
    const names: string[] = [];
    for (let off = 0; off + 512 <= tar.length;) {
      const name = tar
        .subarray(off, off + 100)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      if (name === '') break;
      names.push(name);
      const octal = (start: number, end: number) => parseInt(tar.subarray(start, end).toString().replace(/[\0 ]/g, ''), 8);
      assert.equal(octal(off + 100, off + 108), 0o644, `${name} mode`);
      assert.equal(tar[off + 156], 0x30, `${name} type`);
      assert.equal(octal(off + 136, off + 148), 0, `${name} mtime`);
      assert.equal(octal(off + 108, off + 116), 0, `${name} uid`);
      assert.equal(
        tar
          .subarray(off + 265, off + 297)
          .toString()
          .replace(/\0/g, ''),
        '',
        `${name} uname`,
      );
      const size = parseInt(tar.subarray(off + 124, off + 135).toString(), 8);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    assert.deepEqual(names, ['/.manifest', '/a/data.json', '/z.rego']);
  });

  it('round-trips through the reader, long names included', () => {
    const long = `/${'deep/'.repeat(60)}policy.rego`;
    const back = readTarGz(writeTarGz([...files, file(long, 'package deep\n')]));
    assert.deepEqual(
      back.map((f) => f.path),
      ['/.manifest', '/a/data.json', long, '/z.rego'],
    );
    assert.equal(Buffer.from(back[2]!.bytes).toString(), 'package deep\n');
  });
});

describe('readTarGz rejects hostile archives', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['symlink', rawTarGz([{ path: '/data.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), /SymbolicLink entry/],
    [
      'hardlink',
      rawTarGz([
        { path: '/a.rego', body: 'x' },
        { path: '/b.rego', type: 'Link', linkpath: '/a.rego' },
      ]),
      /Link entry/,
    ],
    ['device', rawTarGz([{ path: '/dev', type: 'CharacterDevice' }]), /CharacterDevice entry/],
    ['dot-dot', rawTarGz([{ path: '/../../etc/x.rego', body: 'x' }]), /not a plain relative path/],
    ['inner dot-dot', rawTarGz([{ path: '/a/../../x.rego', body: 'x' }]), /not a plain relative path/],
    ['double slash absolute', rawTarGz([{ path: '//etc/x.rego', body: 'x' }]), /not a plain relative path/],
    ['backslash', rawTarGz([{ path: '/a\\..\\x.rego', body: 'x' }]), /not a plain relative path/],
    [
      'duplicate',
      rawTarGz([
        { path: '/a.rego', body: 'x' },
        { path: 'a.rego', body: 'y' },
      ]),
      /more than once/,
    ],
    ['truncated', truncated(), /truncated|not valid gzip/],
    ['not gzip', enc.encode('plain text'), /not valid gzip/],
    ['no end marker', rawTarGz([{ path: '/a.rego', body: 'x' }], { end: false }), /truncated/],
  ];
  for (const [name, archive, pattern] of cases) {
    it(name, () => assert.throws(() => readTarGz(archive), pattern));
  }

  it('a gzip bomb stops at the ratio limit, long before it is inflated whole', () => {
    const bomb = rawTarGz([{ path: '/data.json', body: new Uint8Array(64 * 1024 * 1024) }]);
    assert.ok(bomb.byteLength < 128 * 1024);
    assert.throws(
      () => readTarGz(bomb),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BUNDLE_TOO_LARGE');
        // Inflating stops at 100 times the archive's size (the default ratio), not at the 1 GiB total.
        const cap = Number(/expands past (\d+) bytes/.exec(err.message)?.[1]);
        assert.ok(cap <= Math.max(1024 * 1024, bomb.byteLength * 100), err.message);
        return true;
      },
    );
  });

  it('a NUL in a PAX path refuses the archive, as opa does, instead of reading a shorter name', () => {
    const archive = tarGz([pax({ path: 'data.json\0/../../escape.rego' }), entry('x.rego', 'package x\n'), END]);
    assert.throws(
      () => readTarGz(archive),
      (err: Error & { code?: string }) => err.code === 'BUNDLE_INVALID' && /NUL/.test(err.message),
    );
  });

  it('a PAX size wins over the header, as in Go, so portcullis reads the bytes opa reads', () => {
    const body = Buffer.from('{"a":1}');
    const header = entry('data.json', '', 0);
    const files = readTarGz(tarGz([pax({ size: String(body.length) }), header.subarray(0, 512), pad(body), END]));
    assert.deepEqual(
      files.map((f) => [f.path, Buffer.from(f.bytes).toString()]),
      [['/data.json', '{"a":1}']],
    );
  });

  for (const [name, size] of [
    ['a size of 2^62', [0x80, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['a negative size', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]],
  ] as const) {
    it(`${name} is an invalid archive (exit 2), not an internal error`, () => {
      const header = entry('data.json', '', 0);
      header.set(size, 124);
      resum(header);
      assert.throws(
        () => readTarGz(tarGz([header.subarray(0, 512), END])),
        (err: Error & { code?: string }) => err.code === 'BUNDLE_INVALID' && /invalid size|cannot be read/.test(err.message),
      );
    });
  }

  it('a file over the per-file limit is refused before it is read', () => {
    const archive = rawTarGz([{ path: '/data.json', body: '{"a":"0123456789"}' }]);
    assert.throws(() => readTarGz(archive, { ...DEFAULT_READ_LIMITS, maxFileBytes: 10 }), /size \(18 bytes\) exceeded max size \(10 bytes\)/);
  });

  it('an archive over the size limit is refused', () => {
    const archive = rawTarGz([{ path: '/a.rego', body: 'x' }]);
    assert.throws(() => readTarGz(archive, { ...DEFAULT_READ_LIMITS, maxArchiveBytes: 10 }), /more than the limit/);
  });

  it('directories are skipped like OPA does', () => {
    const files = readTarGz(
      rawTarGz([
        { path: '/a/', type: 'Directory' },
        { path: '/a/x.rego', body: 'package a' },
      ]),
    );
    assert.deepEqual(
      files.map((f) => f.path),
      ['/a/x.rego'],
    );
  });
});

const END = Buffer.alloc(1024);

/** A ustar header and padded body for `path`, with none of the writer's checks (size may be forged afterwards). */
function entry(path: string, text: string, size = Buffer.byteLength(text)): Buffer {
  const header = Buffer.alloc(512);
  new Header({ path, type: 'File', size, mode: 0o644, mtime: new Date(0) }).encode(header, 0);
  return Buffer.concat([header, pad(Buffer.from(text))]);
}

/** A PAX extended header carrying `records`, written byte for byte (a NUL stays a NUL). */
function pax(records: Record<string, string>): Buffer {
  const body = Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(rest) + 1;
      while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
      return Buffer.from(`${length}${rest}`);
    }),
  );
  const header = Buffer.alloc(512);
  new Header({ path: 'PaxHeader/x', type: 'ExtendedHeader', size: body.length, mode: 0o644, mtime: new Date(0) }).encode(header, 0);
  return Buffer.concat([header, pad(body)]);
}

function pad(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

/** Recomputes a header's checksum after its bytes were forged. */
function resum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i += 1) sum += header[i] as number;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

function tarGz(parts: readonly Buffer[]): Uint8Array {
  return new Uint8Array(gzipSync(Buffer.concat(parts)));
}

function truncated(): Uint8Array {
  const whole = gunzipSync(rawTarGz([{ path: '/a.rego', body: 'x'.repeat(2000) }]));
  return new Uint8Array(gzipSync(whole.subarray(0, 900)));
}
