import { open } from 'node:fs/promises';
import { AppError } from '../core/index.js';
import { normalize, normalizeByImage, type InputFile, type NormalizeRequest } from './normalize.js';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './read.js';
import type { NormalizedInput } from './types.js';

export interface ReportPath {
  readonly path: string;
  readonly format?: string | undefined;
}

export interface NormalizeFilesRequest {
  readonly reports?: readonly ReportPath[];
  readonly dockerfile?: string | undefined;
  readonly manifest?: string | undefined;
  readonly metadata?: string | undefined;
  readonly now: Date | string;
  readonly limits?: Partial<InputLimits>;
  readonly allowEmpty?: boolean;
}

/** The file-reading edge of `normalize`: reads each path (refusing oversized files before reading them). */
export async function normalizeFiles(request: NormalizeFilesRequest): Promise<NormalizedInput> {
  return normalize(await readRequest(request));
}

/** The file-reading edge of `normalizeByImage`: one input per scanned image. */
export async function normalizeFilesByImage(request: NormalizeFilesRequest): Promise<NormalizedInput[]> {
  return normalizeByImage(await readRequest(request));
}

async function readRequest(request: NormalizeFilesRequest): Promise<NormalizeRequest> {
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...request.limits };
  const read = (path: string): Promise<InputFile> => readInput(path, limits.maxBytes);
  const optional = async (path: string | undefined): Promise<InputFile | undefined> => (path === undefined ? undefined : read(path));
  const reports = await Promise.all((request.reports ?? []).map(async (r) => ({ ...(await read(r.path)), format: r.format })));
  return {
    reports,
    dockerfile: await optional(request.dockerfile),
    manifest: await optional(request.manifest),
    metadata: await optional(request.metadata),
    now: request.now,
    limits,
    ...(request.allowEmpty === undefined ? {} : { allowEmpty: request.allowEmpty }),
  };
}

function isDirectory(path: string, cause?: unknown): AppError {
  return new AppError('INPUT_INVALID', `${path}: is a directory, not a file`, { cause, details: [{ file: path, message: 'is a directory' }] });
}

async function readInput(path: string, maxBytes: number): Promise<InputFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('FILE_NOT_FOUND', `${path}: no such file`, { cause: err, details: [{ file: path, message: 'no such file' }] });
    if (code === 'EISDIR') throw isDirectory(path, err);
    throw new AppError('INPUT_INVALID', `${path}: cannot be read (${code ?? 'error'})`, { cause: err, details: [{ file: path, message: 'cannot be read' }] });
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw isDirectory(path);
    const { size } = stats;
    if (size > maxBytes) {
      throw new AppError('INPUT_TOO_LARGE', `${path}: ${size} bytes exceeds the limit of ${maxBytes} bytes`, {
        details: [{ file: path, message: `larger than ${maxBytes} bytes` }],
      });
    }
    return { path, bytes: await handle.readFile() };
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('INPUT_INVALID', `${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
      details: [{ file: path, message: 'cannot be read' }],
    });
  } finally {
    await handle.close();
  }
}
