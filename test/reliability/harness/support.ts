import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWithOpa } from '../../helpers/opa.js';
import { CLI, waitFor } from '../../helpers/processes.js';
import { scratchProject } from '../../helpers/project.js';

/** One measured figure and the threshold it must meet; printed by report(). */
export interface Figure {
  readonly name: string;
  readonly value: number | string;
  /** The threshold as a person reads it, e.g. "= 0" or "<= 150 MB". */
  readonly threshold: string;
  readonly ok: boolean;
}

export const mustBeZero = (name: string, value: number): Figure => ({ name, value, threshold: '= 0', ok: value === 0 });
export const info = (name: string, value: number | string): Figure => ({ name, value, threshold: '(figure)', ok: true });

/** Prints the figures as an aligned table and returns those that missed their threshold. */
export function report(title: string, figures: readonly Figure[]): Figure[] {
  const width = Math.max(...figures.map((f) => f.name.length));
  const lines = figures.map((f) => `  ${f.name.padEnd(width)}  ${String(f.value).padStart(10)}  ${f.threshold}${f.ok ? '' : '   <-- FAILED'}`);
  console.log(`${title}\n${lines.join('\n')}`);
  return figures.filter((f) => !f.ok);
}

/** A `portcullis serve` process: its URL and pid, its output, its resident memory. */
export interface ServeProcess {
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Kills with SIGKILL and resolves once it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `portcullis serve --listen 127.0.0.1:0` (built CLI, as users run it)
 * in `cwd`, with the open-file limit raised to the hard limit so thousands of
 * sockets fit, and resolves once it logs its URL.
 */
export async function spawnServe(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const command = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawn('sh', ['-c', command, process.execPath, CLI, 'serve', '--listen', '127.0.0.1:0', ...args], {
    cwd,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-2_000_000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-2_000_000)));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let running = true;
  void exited.then(() => (running = false));
  const url = await waitFor(
    () => (running ? /"url":"([^"]+)","bundles"/.exec(output)?.[1] : Promise.reject(new Error(`serve exited:\n${output}`))),
    30_000,
    () => output,
  );
  const pid = child.pid as number;
  return {
    url,
    pid,
    output: () => output,
    rss: () => rssOf(pid),
    alive: () => running,
    exited,
    kill9: async () => {
      if (running) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

export const MB = 1024 * 1024;

/** A scratch folder with the repository's bundles built by the real opa: image-scan and image-policy. */
export async function builtBundles(): Promise<{ dir: string; project: string; files: Record<string, Uint8Array> }> {
  const project = await scratchProject();
  const built = await buildWithOpa(join(project, 'bundles'));
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-reliability-'));
  await mkdir(join(dir, 'bundles'));
  const files: Record<string, Uint8Array> = {};
  for (const b of built) {
    files[b.name] = new Uint8Array(await readFile(b.path));
    await writeFile(join(dir, 'bundles', `${b.name}.tar.gz`), files[b.name] as Uint8Array);
  }
  return { dir, project, files };
}

/** A seeded pseudo-random generator (mulberry32), so a failing run can be replayed with its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
