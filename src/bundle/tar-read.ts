import { gunzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { AppError, messageOf } from '../core/index.js';
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
    throw new AppError('BUNDLE_INVALID', `archive is not valid gzip: ${messageOf(err)}`, { cause: err });
  }
}

function readTar(tar: Buffer, limits: ReadLimits): BundleFile[] {
  const files: BundleFile[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let pending: { path?: string } = {};
  for (;;) {
    if (offset + BLOCK > tar.length) throw new AppError('BUNDLE_INVALID', 'archive is truncated: missing end-of-archive marker');
    const header = new Header(tar, offset);
    if (header.nullBlock) return files;
    if (!header.cksumValid) throw new AppError('BUNDLE_INVALID', `tar header at offset ${offset} has a bad checksum`);
    const size = header.size ?? 0;
    const body = offset + BLOCK;
    if (body + size > tar.length) throw new AppError('BUNDLE_INVALID', `archive is truncated inside entry ${JSON.stringify(header.path)}`);
    const data = tar.subarray(body, body + size);
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
    switch (header.type) {
      case 'ExtendedHeader':
        pending = Pax.parse(data.toString('utf8'), undefined, false);
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

/** Normalises an entry name to `/a/b` form, rejecting traversal and anything ambiguous. */
export function checkEntryPath(raw: string): string {
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  const bad = name === '' || name.includes('\\') || name.includes('\0') || name.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new AppError('BUNDLE_INVALID', `entry name ${JSON.stringify(raw)} is not a plain relative path`);
  return `/${name}`;
}
