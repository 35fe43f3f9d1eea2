import { gzipSync } from 'node:zlib';
import { clientConfig } from '../../config/index.js';
import { AppError, EXIT, yaml } from '../../core/index.js';
import {
  assertClusterName,
  assertDigest,
  FINDING_COLUMNS,
  FINDING_TABLE,
  findingQueryParams,
  groupColumns,
  isGroupPage,
  parseFindingQuery,
  imageFacts,
  parseVulnerabilityQuery,
  REPORT_FORMATS,
  RUNNING_COLUMNS,
  vulnerabilityFacts,
  vulnerabilityPath,
  VULNERABILITY_WORKLOAD_COLUMNS,
  type ImageView,
  type ImportResult,
  type KubernetesReport,
} from '../../inventory/index.js';
import type { FindingPage, GroupPage, VulnerabilityView } from '../../store/index.js';
import { readInputFile } from '../io.js';
import { getJson, printRows, type ClientOptions } from './agents.js';

/** Snapshots of large clusters are tens of MiB of JSON; they travel gzipped. */
const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

export interface ImportOptions extends ClientOptions {
  readonly cluster?: string;
  readonly newCluster?: boolean;
  readonly allowEmpty?: boolean;
}

/** `portcullis inventory import`: a kubectl list of what runs in one cluster, sent to the server (POST /v1/inventory). */
export async function inventoryImport(file: string, options: ImportOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const cluster = options.cluster ?? 'default';
  assertClusterName(cluster);
  if (options.output !== 'table' && options.output !== 'json') throw new AppError('USAGE', `--output must be table or json, got '${options.output}'`);
  const bytes = await readInputFile(file, MAX_SNAPSHOT_BYTES);
  const params = new URLSearchParams({ cluster });
  if (options.newCluster) params.set('new_cluster', 'true');
  if (options.allowEmpty) params.set('allow_empty', 'true');
  const result = await getJson<ImportResult>(clientConfig(options, env), `/v1/inventory?${params.toString()}`, {
    bytes: gzipSync(bytes),
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
  });
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const r = result.running;
    const what = result.duplicate
      ? 'unchanged (the same snapshot as last time)'
      : `${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.gone} gone`;
    process.stdout.write(`cluster ${result.cluster} (${result.kind}): ${what}; ${result.namespaces} namespaces, ${result.scans} scans\n`);
  }
  for (const w of result.warnings) {
    process.stderr.write(
      `warning: ${w.code} (${w.count}): ${w.message}${w.items.length ? ` [${w.items.join(', ')}${w.count > w.items.length ? ', ...' : ''}]` : ''}\n`,
    );
  }
  return EXIT.OK;
}

export interface FindingsOptions extends Omit<ClientOptions, 'output'> {
  readonly output: string;
  readonly cluster?: string;
  readonly namespace?: string;
  readonly environment?: string;
  readonly workload?: string;
  readonly repository?: string;
  readonly digest?: string;
  readonly rule?: string;
  readonly severityAtLeast?: string;
  readonly id?: string;
  readonly package?: string;
  readonly fixable?: boolean;
  readonly age?: string;
  readonly firstSeenBefore?: string;
  readonly firstSeenAfter?: string;
  readonly enforcement?: string;
  readonly state?: string;
  readonly groupBy?: string;
  readonly sort?: string;
  readonly order?: string;
  readonly limit?: string;
  readonly cursor?: string;
  readonly all?: boolean;
  readonly exactTotal?: boolean;
}

const OUTPUTS = ['table', 'json', 'ndjson', 'csv'] as const;

/**
 * `portcullis findings`: the query layer's filters as flags (checked here,
 * so a typo exits 2 before anything is sent), answered by GET /v1/findings.
 */
export async function findings(options: FindingsOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const raw: Record<string, string | undefined> = {
    cluster: options.cluster,
    namespace: options.namespace,
    environment: options.environment,
    workload: options.workload,
    repository: options.repository,
    digest: options.digest,
    rule: options.rule,
    severity_at_least: options.severityAtLeast,
    id: options.id,
    package: options.package,
    fixable: options.fixable === undefined ? undefined : String(options.fixable),
    age: options.age,
    first_seen_before: options.firstSeenBefore,
    first_seen_after: options.firstSeenAfter,
    enforcement: options.enforcement,
    state: options.state,
    group_by: options.groupBy,
    sort: options.sort,
    order: options.order,
    limit: options.limit,
    cursor: options.cursor,
    exact_total: options.exactTotal ? 'true' : undefined,
  };
  const query = parseFindingQuery(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  const config = clientConfig(options, env);
  const params = findingQueryParams(query);
  const pages: (FindingPage | GroupPage)[] = [];
  let page: FindingPage | GroupPage;
  do {
    page = await getJson<FindingPage | GroupPage>(config, `/v1/findings?${params.toString()}`);
    pages.push(page);
    if (page.next_cursor !== undefined) params.set('cursor', page.next_cursor);
  } while (options.all && page.next_cursor !== undefined);
  if (query.groupBy !== undefined) {
    const groups = pages.flatMap((p) => (isGroupPage(p) ? p.groups : []));
    const columns = groupColumns(query.groupBy, groups[0]);
    printRows(
      options.output,
      options.all ? { groups } : page,
      groups,
      columns,
      columns.map((c) => c.header),
      OUTPUTS,
    );
  } else {
    const rows = pages.flatMap((p) => (isGroupPage(p) ? [] : p.findings));
    const total = isGroupPage(page) ? `${rows.length}` : `${page.total}${page.total_exact ? '' : '+'}`;
    printRows(
      options.output,
      options.all ? { findings: rows, total: isGroupPage(page) ? rows.length : page.total } : page,
      rows,
      FINDING_COLUMNS,
      FINDING_TABLE,
      OUTPUTS,
    );
    if (options.output === 'table') process.stderr.write(`${rows.length} of ${total} findings\n`);
  }
  if (!options.all && page.next_cursor !== undefined && options.output === 'table') process.stderr.write(`more: --cursor ${page.next_cursor} (or --all)\n`);
  return EXIT.OK;
}

export interface ReportsOptions extends Omit<ClientOptions, 'output'> {
  readonly format: string;
  readonly namespace?: string;
  readonly cluster?: string;
  readonly maxResults?: string;
  readonly output: string;
}

/** `portcullis reports`: OpenReports Reports or PolicyReports per namespace, as YAML for kubectl apply -f - (GET /v1/reports/kubernetes). */
export async function reports(options: ReportsOptions, env: NodeJS.ProcessEnv): Promise<number> {
  if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) throw new AppError('USAGE', `--format must be one of ${REPORT_FORMATS.join(', ')}`);
  if (options.output !== 'yaml' && options.output !== 'json') throw new AppError('USAGE', `--output must be yaml or json, got '${options.output}'`);
  const params = new URLSearchParams({ format: options.format });
  if (options.namespace !== undefined) params.set('namespace', options.namespace);
  if (options.cluster !== undefined) params.set('cluster', options.cluster);
  if (options.maxResults !== undefined) params.set('max_results', options.maxResults);
  const list = await getJson<{ items: KubernetesReport[] }>(clientConfig(options, env), `/v1/reports/kubernetes?${params.toString()}`);
  if (options.output === 'json') process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else process.stdout.write(list.items.map((item) => `---\n${yaml().stringify(item)}`).join(''));
  if (list.items.length === 0) process.stderr.write('no open findings in the selected namespaces; no reports\n');
  return EXIT.OK;
}

export interface VulnerabilityOptions extends ClientOptions {
  readonly state?: string;
  readonly limit?: string;
}

/** `portcullis inventory vulnerability <id>`: the CVE-first view (GET /v1/vulnerabilities/<id>). */
export async function vulnerability(id: string, options: VulnerabilityOptions, env: NodeJS.ProcessEnv): Promise<number> {
  if (options.output !== 'table' && options.output !== 'json') throw new AppError('USAGE', `--output must be table or json, got '${options.output}'`);
  const raw = { state: options.state, limit: options.limit };
  const query = parseVulnerabilityQuery(id, Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  const view = await getJson<VulnerabilityView>(clientConfig(options, env), vulnerabilityPath(query));
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return EXIT.OK;
  }
  printFacts(vulnerabilityFacts(view));
  printRows(
    'table',
    view,
    view.workloads,
    VULNERABILITY_WORKLOAD_COLUMNS,
    VULNERABILITY_WORKLOAD_COLUMNS.map((c) => c.header),
    ['table'],
  );
  return EXIT.OK;
}

/** `portcullis inventory image <digest>`: the image-first view (GET /v1/images/<digest>). */
export async function image(digest: string, options: ClientOptions, env: NodeJS.ProcessEnv): Promise<number> {
  if (options.output !== 'table' && options.output !== 'json') throw new AppError('USAGE', `--output must be table or json, got '${options.output}'`);
  const view = await getJson<ImageView>(clientConfig(options, env), `/v1/images/${assertDigest(digest)}`);
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return EXIT.OK;
  }
  printFacts(imageFacts(view));
  const rows = [...view.running, ...view.gone];
  printRows(
    'table',
    view,
    rows,
    RUNNING_COLUMNS,
    RUNNING_COLUMNS.map((c) => c.header),
    ['table'],
  );
  if (view.findings.findings.length > 0) {
    process.stdout.write('\n');
    printRows('table', view, view.findings.findings, FINDING_COLUMNS, FINDING_TABLE, ['table']);
  }
  return EXIT.OK;
}

function printFacts(facts: readonly [string, string][]): void {
  const width = Math.max(...facts.map(([k]) => k.length));
  process.stdout.write(`${facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\n`);
}
