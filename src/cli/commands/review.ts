import { join } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { resolveToolchain } from '../../compile/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { formatReviewMarkdown, formatReviewSarif, resolveRegal, runReview, type FailOn, type ReviewResult } from '../../review/index.js';

export interface ReviewCommandOptions {
  readonly base: string;
  readonly head?: string;
  readonly corpus?: readonly string[];
  readonly fromDecisions?: string;
  readonly token?: string;
  readonly output: 'markdown' | 'json' | 'sarif';
  readonly failOn: FailOn;
  readonly entrypoint?: string;
  readonly bundles?: string;
  readonly now?: string;
  readonly threads?: string;
}

/** `portcullis review`: prints the review in the chosen format; exit 1 when --fail-on triggers. */
export async function review(options: ReviewCommandOptions, version: string, env: NodeJS.ProcessEnv): Promise<number> {
  const config = await loadConfig(undefined);
  const regal = resolveRegal(config.tools);
  // Loud on purpose: a review without lint must not look like a clean lint.
  if ('missing' in regal) process.stderr.write(`portcullis: WARNING: Regal lint is unavailable: ${regal.missing}\n`);
  const token = options.token ?? env['PORTCULLIS_TOKEN'];
  const result = await runReview({
    cwd: process.cwd(),
    base: options.base,
    ...(options.head === undefined ? {} : { head: options.head }),
    corpora: options.corpus ?? [],
    ...(options.fromDecisions === undefined ? {} : { decisions: options.fromDecisions }),
    ...(token ? { token } : {}),
    ...(options.entrypoint === undefined ? {} : { entrypoint: options.entrypoint }),
    ...(options.bundles === undefined ? {} : { definitions: options.bundles }),
    ...(options.now === undefined ? {} : { now: checkedNow(options.now) }),
    ...(options.threads === undefined ? {} : { threads: threadCount(options.threads) }),
    failOn: options.failOn,
    toolchain: () => resolveToolchain(config.tools),
    regal,
    cacheDir: join(config.stateDir, 'cache'),
  });
  process.stdout.write(render(result, options.output, version));
  return result.failures.length > 0 ? EXIT.FAIL : EXIT.OK;
}

function render(result: ReviewResult, output: ReviewCommandOptions['output'], version: string): string {
  if (output === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  if (output === 'sarif') return formatReviewSarif(result, { name: 'portcullis review', version });
  return formatReviewMarkdown(result);
}

function checkedNow(now: string): string {
  if (Number.isNaN(Date.parse(now))) throw new AppError('USAGE', `--now ${now}: not an RFC 3339 date-time`);
  return new Date(now).toISOString();
}

function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new AppError('USAGE', `--threads ${value}: must be an integer from 0 (no workers) to 256`);
  return n;
}
