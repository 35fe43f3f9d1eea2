import { readFile } from 'node:fs/promises';
import { AppError } from '../core/index.js';

/** Reads a file, or standard input for '-', naming the file when it cannot be read. */
export async function readInputFile(path: string, maxBytes: number): Promise<Buffer> {
  const bytes =
    path === '-'
      ? await readStdin(maxBytes)
      : await readFile(path).catch((err: unknown) => {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EISDIR') throw new AppError('INPUT_INVALID', `${path}: is a directory, not a file`, { cause: err });
          throw new AppError('FILE_NOT_FOUND', `${path} cannot be read: ${code ?? 'error'}`, { cause: err });
        });
  if (bytes.byteLength > maxBytes) throw new AppError('INPUT_TOO_LARGE', `${path === '-' ? 'standard input' : path} is larger than ${maxBytes} bytes`);
  return bytes;
}

async function readStdin(maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).byteLength;
    if (size > maxBytes) throw new AppError('INPUT_TOO_LARGE', `standard input is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
