import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, type ErrorDetail } from '../core/index.js';
import { loadBundle, type BundleFile, type WasmResolver } from '../bundle/index.js';
import { runOpa } from './opa-cli.js';
import type { Toolchain } from './toolchain.js';

export interface CompileRequest {
  /** Working directory; module paths are given relative to it and keep that name inside the bundle. */
  readonly cwd: string;
  readonly modules: readonly string[];
  readonly entrypoints: readonly string[];
  readonly source: string;
}

export interface CompiledPolicy {
  readonly wasm: Uint8Array;
  readonly resolvers: readonly WasmResolver[];
  /** The Rego modules as `opa build -t wasm` leaves them (entrypoint rules are served by the Wasm module). */
  readonly modules: readonly BundleFile[];
}

/** The seam between the build pipeline and the opa binary; tests may swap in a fake. */
export interface PolicyCompiler {
  compile(request: CompileRequest): Promise<CompiledPolicy>;
}

/** Compiles with the real `opa build -t wasm`, explicit entrypoints and the pinned capabilities. */
export class OpaCompiler implements PolicyCompiler {
  constructor(private readonly toolchain: Toolchain) {}

  async compile(request: CompileRequest): Promise<CompiledPolicy> {
    const work = await mkdtemp(join(tmpdir(), 'portcullis-build-'));
    try {
      const out = join(work, 'bundle.tar.gz');
      const args = ['build', '-t', 'wasm', '--capabilities', this.toolchain.capabilities, '-o', out];
      for (const ep of request.entrypoints) args.push('-e', ep);
      const run = await runOpa(this.toolchain.opa, [...args, ...request.modules], request.cwd);
      if (run.code !== 0) throw await this.compileError(request, `${run.stderr}\n${run.stdout}`);
      return extract(await readFile(out));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** opa build reports errors as text; opa check gives them with file, row and column when the sources are at fault. */
  private async compileError(request: CompileRequest, buildStderr: string): Promise<AppError> {
    const check = await runOpa(
      this.toolchain.opa,
      ['check', '--format', 'json', '--capabilities', this.toolchain.capabilities, ...request.modules],
      request.cwd,
    );
    const details = check.code === 0 ? [] : parseCheckErrors(check.stdout || check.stderr);
    if (details.length === 0) {
      const message = buildStderr.trim().replace(/^error: /, '');
      return new AppError('COMPILE_FAILED', `${request.source}: opa build failed: ${message}`, { details: [{ message }] });
    }
    const lines = details.map((d) => `  ${d.file ?? '?'}:${d.line ?? 0}:${d.column ?? 0}: ${d.message}`);
    return new AppError('COMPILE_FAILED', `${request.source}: ${details.length} compile error(s):\n${lines.join('\n')}`, { details });
  }
}

function parseCheckErrors(output: string): ErrorDetail[] {
  try {
    const parsed = JSON.parse(output) as { errors?: { message: string; code?: string; location?: { file?: string; row?: number; col?: number } }[] };
    return (parsed.errors ?? []).map((e) => ({
      message: e.code ? `${e.code}: ${e.message}` : e.message,
      ...(e.location?.file ? { file: e.location.file } : {}),
      ...(e.location?.row ? { line: e.location.row } : {}),
      ...(e.location?.col ? { column: e.location.col } : {}),
    }));
  } catch {
    return [];
  }
}

function extract(archive: Uint8Array): CompiledPolicy {
  const bundle = loadBundle(archive);
  const resolvers = bundle.manifest.wasm ?? [];
  const wasm = bundle.wasm.get('/policy.wasm');
  if (!wasm || resolvers.length === 0) throw new AppError('TOOLCHAIN_FAILED', 'opa build -t wasm produced no /policy.wasm');
  const modules = bundle.files.filter((f) => f.path.endsWith('.rego'));
  return { wasm, resolvers, modules };
}
