import { gunzipSync } from 'node:zlib';
import { Header } from 'tar';
import { AppError, wrapError } from '../core/index.js';
import { DEFAULT_READ_LIMITS, type BundleFile, type ReadLimits } from './types.js';

const BLOCK = 512;
const RATIO_FLOOR = 1024 * 1024;

/**
 * Reads a tar.gz into regular files, refusing anything a bundle must not
 * contain: links and special entries, path traversal, duplicate names, and
 * archives or files past the size and compression-ratio limits.
 */
export function readTarGz(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): BundleFile[] {
  if (bytes.byteLength > limits.maxArchiveBytes) {
    throw new AppError('BUNDLE_TOO_LARGE', `archive is ${bytes.byteLength} bytes, more than the limit of ${limits.maxArchiveBytes}`);
  }
  return readTar(gunzip(bytes, limits), limits);
}

function gunzip(bytes: Uint8Array, limits: ReadLimits): Buffer {
  const ratioCap = Math.max(RATIO_FLOOR, bytes.byteLength * limits.maxRatio);
  const maxOutputLength = Math.min(limits.maxTotalBytes, ratioCap);
  try {
    return gunzipSync(bytes, { maxOutputLength });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('BUNDLE_TOO_LARGE', `archive expands past ${maxOutputLength} bytes (size or compression-ratio limit)`, { cause: err });
    }
    throw wrapError(err, 'BUNDLE_INVALID', 'archive is not valid gzip');
  }
}

function readTar(tar: Buffer, limits: ReadLimits): BundleFile[] {
  const files: BundleFile[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let pending: PaxRecords = {};
  for (;;) {
    if (offset + BLOCK > tar.length) throw new AppError('BUNDLE_INVALID', 'archive is truncated: missing end-of-archive marker');
    const header = readHeader(tar, offset);
    if (header.nullBlock) return files;
    if (!header.cksumValid) throw new AppError('BUNDLE_INVALID', `tar header at offset ${offset} has a bad checksum`);
    const size = entrySize(header, pending, offset);
    const body = offset + BLOCK;
    if (body + size > tar.length) throw new AppError('BUNDLE_INVALID', `archive is truncated inside entry ${JSON.stringify(header.path)}`);
    const data = tar.subarray(body, body + size);
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
    switch (header.type) {
      case 'ExtendedHeader':
        pending = parsePax(data, offset);
        continue;
      case 'GlobalExtendedHeader':
        continue;
      case 'NextFileHasLongPath':
        pending = { path: data.toString('utf8').replace(/\0+$/, '') };
        continue;
      case 'Directory':
        pending = {};
        continue;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        break;
      default:
        throw new AppError(
          'BUNDLE_INVALID',
          `entry ${JSON.stringify(header.path)} is a ${header.type ?? 'unknown'} entry; bundles may hold regular files only`,
        );
    }
    const path = checkEntryPath(pending.path ?? header.path ?? '');
    pending = {};
    if (size > limits.maxFileBytes) {
      throw new AppError('BUNDLE_TOO_LARGE', `bundle file '${path}' size (${size} bytes) exceeded max size (${limits.maxFileBytes} bytes)`);
    }
    if (seen.has(path)) throw new AppError('BUNDLE_INVALID', `entry '${path}' appears more than once`);
    if (files.length >= limits.maxEntries) throw new AppError('BUNDLE_TOO_LARGE', `archive has more than ${limits.maxEntries} entries`);
    seen.add(path);
    files.push({ path, bytes: new Uint8Array(data) });
  }
}

/** A header the tar library can decode; one it cannot (a size beyond 2^53 in base-256) is an invalid archive, not a crash. */
function readHeader(tar: Buffer, offset: number): Header {
  try {
    return new Header(tar, offset);
  } catch (err) {
    throw wrapError(err, 'BUNDLE_INVALID', `tar header at offset ${offset} cannot be read`);
  }
}

const METADATA = new Set(['ExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath']);

/**
 * The bytes that follow a header, as Go's archive/tar counts them: a PAX
 * `size` record wins over a file header's, a directory has none, and a
 * negative or unreadable size refuses the archive, as opa refuses it.
 */
function entrySize(header: Header, pending: PaxRecords, offset: number): number {
  if (header.type === 'Directory') return 0;
  const size = METADATA.has(header.type ?? '') ? header.size : (pending.size ?? header.size);
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
    throw new AppError('BUNDLE_INVALID', `tar header at offset ${offset} has an invalid size`);
  }
  return size;
}

interface PaxRecords {
  path?: string;
  size?: number;
}

/** Keys whose values Go's archive/tar refuses when they hold a NUL (the tar library would cut them there). */
const NUL_FREE = new Set(['path', 'linkpath', 'uname', 'gname']);

/**
 * PAX extended-header records (`<length> <key>=<value>\n`), read as Go's
 * archive/tar reads them: a malformed record, or a NUL in a path, refuses
 * the archive instead of being read as a shorter name.
 */
function parsePax(data: Buffer, offset: number): PaxRecords {
  const records: PaxRecords = {};
  const bad = (why: string) => new AppError('BUNDLE_INVALID', `PAX header before offset ${offset} is invalid: ${why}`);
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space > at ? Number(data.subarray(at, space).toString('latin1')) : Number.NaN;
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length || data[at + length - 1] !== 0x0a) throw bad('malformed record');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw bad('record without a key');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (NUL_FREE.has(key) && value.includes('\0')) throw bad(`${key} holds a NUL byte`);
    if (key === 'path') records.path = value;
    if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw bad(`size ${JSON.stringify(value)} is not a valid size`);
      records.size = Number(value);
    }
    at += length;
  }
  return records;
}

/** Normalises an entry name to `/a/b` form, rejecting traversal and anything ambiguous. */
export function checkEntryPath(raw: string): string {
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  const bad = name === '' || name.includes('\\') || name.includes('\0') || name.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new AppError('BUNDLE_INVALID', `entry name ${JSON.stringify(raw)} is not a plain relative path`);
  return `/${name}`;
}
