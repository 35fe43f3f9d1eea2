import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { compareUtf8 } from '../core/index.js';
import type { BundleFile } from './types.js';

const BLOCK = 512;
const EPOCH = new Date(0);
const FILE_MODE = 0o644;
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 0xff;
// Go's default, which opa build uses: level 9 took four times as long for 1-3% smaller bundles.
const GZIP_LEVEL = 6;

/**
 * Packs files into a byte-deterministic tar.gz: entries sorted by path,
 * regular files only, fixed mode and mtime, no owner names, and a gzip header
 * without name or time whose OS byte is 255 ("unknown"), as node-tar's
 * `portable` mode writes it.
 */
export function writeTarGz(files: readonly BundleFile[]): Uint8Array {
  const sorted = [...files].sort((a, b) => compareUtf8(a.path, b.path));
  const chunks: Uint8Array[] = [];
  for (const file of sorted) chunks.push(...entryBlocks(file));
  chunks.push(new Uint8Array(BLOCK * 2));
  const gz = gzipSync(Buffer.concat(chunks), { level: GZIP_LEVEL });
  gz[GZIP_OS_BYTE] = GZIP_OS_UNKNOWN;
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
}

function entryBlocks(file: BundleFile): Uint8Array[] {
  const fields = {
    path: file.path,
    mode: FILE_MODE,
    uid: 0,
    gid: 0,
    size: file.bytes.byteLength,
    mtime: EPOCH,
    type: 'File' as const,
    uname: '',
    gname: '',
  };
  const header = Buffer.alloc(BLOCK);
  const needsPax = new Header(fields).encode(header, 0);
  const blocks: Uint8Array[] = [];
  if (needsPax) blocks.push(new Pax({ path: file.path, mtime: EPOCH }).encode());
  blocks.push(header, file.bytes);
  const pad = (BLOCK - (file.bytes.byteLength % BLOCK)) % BLOCK;
  if (pad > 0) blocks.push(new Uint8Array(pad));
  return blocks;
}
