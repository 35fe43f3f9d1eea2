import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/portcullis.js', import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts a process, keeps its output for failure messages, and stops it with SIGTERM (then SIGKILL). */
export function start(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return {
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `portcullis serve` on a free port over `dir` and resolves with its URL once it listens. */
export async function startPortcullis(dir: string, extra: readonly string[] = []): Promise<Child & { url: string }> {
  // The state directory is .portcullis beside the bundle folder; for a folder made directly in the temporary
  // directory that would be one store shared by every server on the machine, so such a server gets its own.
  const shared = dirname(dir) === tmpdir();
  const state = shared ? { PORTCULLIS_STATE_DIR: await mkdtemp(join(tmpdir(), 'portcullis-state-')) } : {};
  const child = start(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--dir', dir, ...extra], {
    cwd: dirname(dir),
    env: { PORTCULLIS_LOG_LEVEL: 'info', ...state },
  });
  const listening = () =>
    child
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"listening"'));
  const url = await waitFor(
    () => /"url":"([^"]+)"/.exec(listening() ?? '')?.[1],
    15_000,
    () => child.output(),
  );
  return { ...child, url };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `context()` in the message. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
