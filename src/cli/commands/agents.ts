import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { clientConfig, type ClientConfig } from '../../config/index.js';
import { AppError, EXIT, toCsv, type Column, type ErrorCode } from '../../core/index.js';
import { AGENT_COLUMNS } from '../../fleet/index.js';
import { HTTP_STATUS } from '../../serve/index.js';
import type { Agent } from '../../store/index.js';
import { renderTable } from '../../report/index.js';

export type OutputFormat = 'json' | 'ndjson' | 'csv' | 'table';

export interface ClientOptions {
  readonly server?: string;
  readonly token?: string;
  readonly ca?: string;
  readonly output: string;
}

function outputFormat(value: string, allowed: readonly OutputFormat[]): OutputFormat {
  if ((allowed as readonly string[]).includes(value)) return value as OutputFormat;
  throw new AppError('USAGE', `--output must be ${allowed.join(', ')}, got '${value}'`);
}

/** A request body and its headers, for the commands that send something (inventory import). */
export interface RequestBody {
  readonly bytes: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** GETs (or with a body, POSTs) a JSON document; a refusal keeps the server's error code so the exit code means the same thing. */
export async function getJson<T>(config: ClientConfig, path: string, send?: RequestBody): Promise<T> {
  const url = new URL(path, `${config.server}/`);
  const ca = config.ca === undefined ? undefined : await readFile(config.ca);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    ...(config.token ? { Authorization: `Bearer ${config.token}` } : {}),
    ...(send ? { ...send.headers, 'Content-Length': String(send.bytes.byteLength) } : {}),
  };
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: send ? 'POST' : 'GET', headers, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => (text += d))
        .on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (err) => reject(new AppError('SERVER_UNREACHABLE', `cannot reach ${config.server}: ${err.message}`, { cause: err })));
    req.end(send ? Buffer.from(send.bytes) : undefined);
  });
  const parsed = parseBody(body);
  if (status === 200) return parsed as T;
  const error = parsed as { code?: string; message?: string } | undefined;
  const code = error?.code !== undefined && error.code in HTTP_STATUS ? (error.code as ErrorCode) : status >= 500 ? 'INTERNAL' : 'REQUEST_INVALID';
  throw new AppError(code, `${config.server} answered ${status}: ${error?.message ?? body.slice(0, 200)}`);
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Prints rows as JSON (the server's document), NDJSON (one row a line, where offered), CSV or a text table. */
export function printRows<T>(
  format: string,
  document: unknown,
  rows: readonly T[],
  columns: readonly Column<T>[],
  tableHeaders: readonly string[],
  allowed: readonly OutputFormat[] = ['json', 'csv', 'table'],
): void {
  const output = outputFormat(format, allowed);
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else if (output === 'ndjson') {
    process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } else if (output === 'csv') {
    process.stdout.write(toCsv(columns, rows));
  } else {
    const shown = columns.filter((c) => tableHeaders.includes(c.header));
    const cells = rows.map((r) => shown.map((c) => truncate(c.cell(r))));
    process.stdout.write(
      `${renderTable(
        shown.map((c) => c.header),
        cells,
      )}\n`,
    );
  }
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/** `portcullis agents`: the fleet as the server last heard from it. */
export async function agents(options: ClientOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = clientConfig(options, env);
  const document = await getJson<{ agents: Agent[] }>(config, '/v1/agents');
  printRows(options.output, document, document.agents, AGENT_COLUMNS, ['id', 'opa_version', 'revisions', 'last_request', 'last_error']);
  return EXIT.OK;
}
