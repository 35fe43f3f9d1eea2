import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface RawEntry {
  readonly path: string;
  readonly body?: string | Uint8Array;
  readonly type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory' | 'CharacterDevice' | 'FIFO';
  readonly linkpath?: string;
}

/** Builds an archive entry by entry, with none of the writer's checks, to forge hostile bundles. */
export function rawTarGz(entries: readonly RawEntry[], options: { end?: boolean } = {}): Uint8Array {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : Buffer.from(e.body ?? new Uint8Array());
    const header = Buffer.alloc(512);
    new Header({
      path: e.path,
      type: e.type ?? 'File',
      size: e.type === undefined || e.type === 'File' ? body.length : 0,
      mode: 0o644,
      mtime: new Date(0),
      ...(e.linkpath ? { linkpath: e.linkpath } : {}),
    }).encode(header, 0);
    blocks.push(header);
    if (e.type === undefined || e.type === 'File') {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  if (options.end !== false) blocks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(blocks)));
}
