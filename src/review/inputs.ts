import { resolve } from 'node:path';
import { AppError } from '../core/index.js';
import { loadCorpus, prefixIds } from './corpus.js';
import { loadDecisions } from './decision-log.js';
import type { ReplayCase, SkippedInput } from './model.js';

export interface ReplayInputsRequest {
  readonly cwd: string;
  readonly corpora: readonly string[];
  readonly decisions?: string;
  readonly token?: string;
  readonly entrypoint: string;
  readonly now: string;
  readonly maxEvents: number;
}

/** Every case of every corpus folder and of the decision log; CORPUS_EMPTY (exit 2) when nothing is left to replay. */
export async function loadReplayInputs(request: ReplayInputsRequest): Promise<{ cases: ReplayCase[]; skipped: SkippedInput[] }> {
  if (request.corpora.length === 0 && request.decisions === undefined) {
    throw new AppError('USAGE', 'nothing to replay: give --corpus DIR (repeatable) and/or --from-decisions URL|FILE');
  }
  const cases: ReplayCase[] = [];
  const skipped: SkippedInput[] = [];
  const several = request.corpora.length > 1;
  for (const dir of request.corpora) {
    const loaded = prefixIds(await loadCorpus(resolve(request.cwd, dir), request.now), dir, several);
    cases.push(...loaded.cases);
    skipped.push(...loaded.skipped);
  }
  if (request.decisions !== undefined) {
    const from = /^https?:\/\//.test(request.decisions) ? request.decisions : resolve(request.cwd, request.decisions);
    const loaded = await loadDecisions({
      from,
      entrypoint: request.entrypoint,
      maxEvents: request.maxEvents,
      ...(request.token ? { token: request.token } : {}),
    });
    cases.push(...loaded.cases);
    skipped.push(...loaded.skipped);
  }
  if (cases.length === 0) {
    const where = [...request.corpora.map((d) => `--corpus ${d}`), ...(request.decisions ? [`--from-decisions ${request.decisions}`] : [])].join(', ');
    const why = skipped.length > 0 ? `; ${skipped.length} skipped, first: ${skipped[0]?.id}: ${skipped[0]?.reason}` : '';
    throw new AppError('CORPUS_EMPTY', `no inputs to replay in ${where}${why}`);
  }
  return { cases, skipped };
}
