import { clientConfig } from '../../config/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { DECISION_COLUMNS } from '../../fleet/index.js';
import type { Decision, DecisionPage } from '../../store/index.js';
import { getJson, printRows, type ClientOptions } from './agents.js';

export interface DecisionsOptions extends ClientOptions {
  readonly since?: string;
  readonly until?: string;
  readonly path?: string;
  readonly result?: string;
  readonly revision?: string;
  readonly agent?: string;
  readonly label?: readonly string[];
  readonly input?: readonly string[];
  readonly limit?: string;
  readonly cursor?: string;
  readonly order?: string;
  readonly all?: boolean;
}

/** `portcullis decisions`: stored decisions matching the filters, one page or (--all) every page. */
export async function decisions(options: DecisionsOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = clientConfig(options, env);
  const params = queryOf(options);
  const rows: Decision[] = [];
  let page: DecisionPage;
  do {
    page = await getJson<DecisionPage>(config, `/v1/decisions?${params.toString()}`);
    rows.push(...page.decisions);
    if (page.next_cursor !== undefined) params.set('cursor', page.next_cursor);
  } while (options.all && page.next_cursor !== undefined);
  const document = options.all ? { decisions: rows } : page;
  printRows(options.output, document, rows, DECISION_COLUMNS, ['timestamp', 'agent_id', 'path', 'revisions', 'result']);
  if (!options.all && page.next_cursor !== undefined && options.output === 'table') {
    process.stderr.write(`more decisions: --cursor ${page.next_cursor} (or --all)\n`);
  }
  return EXIT.OK;
}

function queryOf(o: DecisionsOptions): URLSearchParams {
  const params = new URLSearchParams();
  const plain = {
    since: o.since,
    until: o.until,
    path: o.path,
    result: o.result,
    revision: o.revision,
    agent: o.agent,
    limit: o.limit,
    cursor: o.cursor,
    order: o.order,
  };
  for (const [k, v] of Object.entries(plain)) if (v !== undefined) params.set(k, v);
  for (const [flag, prefix, values] of [
    ['--label', 'label.', o.label],
    ['--input', 'input.', o.input],
  ] as const) {
    for (const pair of values ?? []) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new AppError('USAGE', `${flag} expects NAME=VALUE, got '${pair}'`);
      params.append(`${prefix}${pair.slice(0, eq)}`, pair.slice(eq + 1));
    }
  }
  return params;
}
