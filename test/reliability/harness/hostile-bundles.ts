import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { loadBundle, writeTarGz, type BundleFile } from '../../../src/bundle/index.js';

/** A hostile archive and what it tries. */
export interface HostileBundle {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Odd but valid, as opa reads it: may be published and evaluated; everything else must be refused. */
  readonly valid?: boolean;
}

const text = (s: string) => new TextEncoder().encode(s);
// Their own root, so that a server over them beside a good bundle has no overlap to refuse them for.
const MANIFEST = '{"revision":"hostile","roots":["hostile"]}';

/** A tar entry written byte for byte, with none of the writer's checks; `forge` edits the header before its checksum is set. */
function entry(
  path: string,
  body: Buffer | string,
  type = 'File',
  options: { linkpath?: string; forge?: (h: Buffer) => void; corrupt?: (h: Buffer) => void } = {},
): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(512);
  const size = type === 'File' || type === 'ExtendedHeader' || type === 'NextFileHasLongPath' ? data.length : 0;
  new Header({ path, type: type as never, size, mode: 0o644, mtime: new Date(0), ...(options.linkpath ? { linkpath: options.linkpath } : {}) }).encode(
    header,
    0,
  );
  if (options.forge) {
    options.forge(header);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i += 1) sum += header[i] as number;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  }
  options.corrupt?.(header);
  return Buffer.concat([header, size > 0 ? pad(data) : Buffer.alloc(0)]);
}

function pad(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
  return `${length}${rest}`;
}

/** An archive of a valid manifest and data plus the given raw entries. */
function archive(...entries: Buffer[]): Uint8Array {
  const base = [entry('.manifest', MANIFEST), entry('data.json', '{"hostile":{}}')];
  return new Uint8Array(gzipSync(Buffer.concat([...base, ...entries, Buffer.alloc(1024)])));
}

function withFiles(good: Uint8Array, replace: Record<string, Uint8Array>): Uint8Array {
  const files: BundleFile[] = loadBundle(good).files.filter((f) => !(f.path in replace));
  return writeTarGz([...files, ...Object.entries(replace).map(([path, bytes]) => ({ path, bytes }))]);
}

const nested = (levels: number, leaf: string) => `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;

/**
 * The hostile bundles a server, `verify`, `eval` and `check` must refuse
 * without crashing, hanging or writing anything: traversal, links, devices,
 * duplicates, forged sizes, bombs, deep and exploding data, broken
 * manifests and broken Wasm modules. `good` is a real opa-built bundle with
 * a Wasm module (image-policy), the base of the Wasm cases.
 */
export function hostileBundles(good: Uint8Array): HostileBundle[] {
  const wasm = loadBundle(good).wasm.get('/policy.wasm') as Uint8Array;
  const big = (n: number) => Array.from({ length: n }, (_, i) => entry(`hostile/f${i}.txt`, 'x'));
  return [
    { name: 'symlink-to-etc-passwd', bytes: archive(entry('hostile/x.json', '', 'SymbolicLink', { linkpath: '/etc/passwd' })) },
    { name: 'symlink-out-of-folder', bytes: archive(entry('hostile/x.rego', '', 'SymbolicLink', { linkpath: '../../../escape.rego' })) },
    { name: 'hardlink', bytes: archive(entry('a.rego', 'package a\n'), entry('b.rego', '', 'Link', { linkpath: 'a.rego' })) },
    { name: 'character-device', bytes: archive(entry('dev/null', '', 'CharacterDevice')) },
    { name: 'block-device', bytes: archive(entry('dev/sda', '', 'BlockDevice')) },
    { name: 'fifo', bytes: archive(entry('fifo', '', 'FIFO')) },
    { name: 'dot-dot', bytes: archive(entry('../../escape.rego', 'package escape\n')) },
    { name: 'inner-dot-dot', bytes: archive(entry('portcullis/../../escape.rego', 'package escape\n')) },
    { name: 'double-slash', bytes: archive(entry('//etc/escape.rego', 'package escape\n')) },
    { name: 'backslash', bytes: archive(entry('portcullis\\..\\..\\escape.rego', 'package escape\n')) },
    {
      name: 'pax-path-with-nul',
      bytes: archive(entry('PaxHeader/x', paxRecord('path', 'data.json\0/../../escape.rego'), 'ExtendedHeader'), entry('x.rego', 'package x\n')),
    },
    {
      name: 'pax-path-traversal',
      bytes: archive(entry('PaxHeader/x', paxRecord('path', '../../escape.rego'), 'ExtendedHeader'), entry('x.rego', 'package x\n')),
    },
    { name: 'pax-malformed', bytes: archive(entry('PaxHeader/x', '99999 path=x\n', 'ExtendedHeader'), entry('x.rego', 'package x\n')) },
    {
      name: 'gnu-longname-traversal',
      bytes: archive(entry('././@LongLink', `${'../'.repeat(40)}escape.rego\0`, 'NextFileHasLongPath'), entry('x.rego', 'package x\n')),
    },
    { name: 'duplicate', bytes: archive(entry('a.rego', 'package a\n'), entry('a.rego', 'package b\n')) },
    { name: 'duplicate-by-prefix', bytes: archive(entry('a.rego', 'package a\n'), entry('/a.rego', 'package b\n')) },
    { name: 'size-2^62', bytes: archive(entry('x.rego', '', 'File', { forge: (h) => h.set([0x80, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 124) })) },
    {
      name: 'size-negative',
      bytes: archive(
        entry('x.rego', '', 'File', {
          forge: (h) =>
            h.set(
              Array.from({ length: 12 }, () => 0xff),
              124,
            ),
        }),
      ),
    },
    { name: 'pax-size-lie', bytes: archive(entry('PaxHeader/x', paxRecord('size', '1048576'), 'ExtendedHeader'), entry('x.rego', 'package x\n')) },
    { name: 'bad-checksum', bytes: archive(entry('x.rego', 'package x\n', 'File', { corrupt: (h) => h.write('0000001\0', 148) })) },
    { name: 'truncated-gzip', bytes: archive(entry('x.rego', 'package x\n')).subarray(0, 60) },
    { name: 'not-gzip', bytes: text('this is not an archive') },
    { name: 'no-end-marker', bytes: new Uint8Array(gzipSync(entry('.manifest', MANIFEST))) },
    { name: 'gzip-bomb', bytes: archive(entry('hostile/bomb.txt', Buffer.alloc(256 * 1024 * 1024))) },
    { name: 'too-many-entries', bytes: archive(...big(10_001)) },
    { name: 'deep-data-json', bytes: archive(entry('hostile/deep/data.json', nested(5000, '1'))) },
    { name: 'deep-data-yaml', bytes: archive(entry('hostile/deep/data.yaml', `${'- '.repeat(1)}${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)) },
    {
      name: 'yaml-alias-bomb',
      bytes: archive(
        entry(
          'hostile/bomb/data.yaml',
          [
            'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
            ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(',')}]`),
          ].join('\n'),
        ),
      ),
    },
    { name: 'manifest-not-json', bytes: withFiles(good, { '/.manifest': text('{"revision":') }) },
    { name: 'manifest-overlapping-roots', bytes: withFiles(good, { '/.manifest': text('{"revision":"x","roots":["portcullis","portcullis/image"]}') }) },
    { name: 'data-outside-roots', bytes: withFiles(good, { '/data.json': text('{"elsewhere":{"x":1}}') }) },
    {
      name: 'manifest-names-missing-module',
      bytes: withFiles(good, {
        '/.manifest': text('{"revision":"x","roots":["portcullis/image"],"wasm":[{"entrypoint":"portcullis/image/pinned/deny","module":"/missing.wasm"}]}'),
      }),
    },
    { name: 'wasm-garbage', bytes: withFiles(good, { '/policy.wasm': text('not WebAssembly at all') }) },
    { name: 'wasm-truncated', bytes: withFiles(good, { '/policy.wasm': wasm.subarray(0, Math.floor(wasm.length / 3)) }) },
    { name: 'wasm-empty-module', bytes: withFiles(good, { '/policy.wasm': new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) }) },
    {
      name: 'wasm-wrong-version',
      bytes: withFiles(good, { '/policy.wasm': new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00, ...wasm.subarray(8)]) }),
    },
    { name: 'data-huge-number', bytes: withFiles(good, { '/data.json': text('{"portcullis":{"image":{"settings":{"n":1e400000}}}}') }), valid: true },
    { name: 'data-900-levels', bytes: withFiles(good, { '/data.json': text(`{"portcullis":{"image":{"settings":${nested(900, '1')}}}}`) }), valid: true },
    { name: 'data-2000-levels', bytes: withFiles(good, { '/data.json': text(`{"portcullis":{"image":{"settings":${nested(2000, '1')}}}}`) }) },
    { name: 'data-not-object', bytes: withFiles(good, { '/data.json': text('[1,2,3]') }) },
  ];
}
