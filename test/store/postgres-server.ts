import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from '../helpers/processes.js';

export interface PostgresServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** initdb and postgres from PATH, else the newest Debian install under /usr/lib/postgresql. */
function binDir(): string {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) if (existsSync(join(debian, v, 'bin', 'initdb'))) return join(debian, v, 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL server binaries (initdb, postgres) not found; install the postgresql package (.ci/run does this in CI)');
  }
}

/** PostgreSQL refuses to run as root, so as root the server runs as the postgres (or nobody) user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
      return { uid, gid };
    } catch {
      continue;
    }
  }
  throw new Error('running as root, and no postgres or nobody user to run PostgreSQL as');
}

/**
 * A throwaway PostgreSQL server in a temporary folder on a free port, with
 * trust auth on loopback only. Fails loudly: the suite never skips these tests.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
  const data = join(root, 'data');
  if (user) chownSync(root, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'portcullis', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], { ...as, stdio: 'pipe' });
  const port = await freePort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    root,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  const child: ChildProcess = spawn(join(bin, 'postgres'), args, { ...as, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `postgres://portcullis@127.0.0.1:${port}/postgres`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}\n${output}`);
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        await client.end().catch(() => undefined);
        return undefined;
      }
    },
    30_000,
    () => output,
  );
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database on the server for one test file. */
export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}
