import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../compile/index.js';
import { sha256Hex } from '../core/index.js';

/** Bumped when what is kept changes shape, so older entries are never read as current. */
const FORMAT = 1;

export interface CommitCheckKey {
  /** The check and what it ran with: its tool's identity (pinned version, capabilities). */
  readonly check: string;
  readonly tool: string;
  /** A resolved commit: it fixes every file the check reads. Never the working tree. */
  readonly commit: string;
  readonly dirs: readonly string[];
}

/**
 * A check's result on a committed version, kept in `cacheDir` by commit,
 * policy folders and tool: every review of a branch compares with the same
 * base commit, so its lint and coverage run once instead of beside every
 * replay. `valid` tells a kept result from a damaged or foreign file, which is
 * run again; a result `valid` refuses (a failed run) is not kept. Keeping is
 * best effort: a cache that cannot be written only costs the next run.
 */
export async function throughCommitCache<T>(cacheDir: string, key: CommitCheckKey, valid: (value: unknown) => value is T, run: () => Promise<T>): Promise<T> {
  const file = join(cacheDir, 'review-checks', `${sha256Hex(JSON.stringify([FORMAT, key.check, key.tool, key.commit, key.dirs]))}.json`);
  const kept = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined);
  if (valid(kept)) return kept;
  const result = await run();
  if (valid(result)) await writeFileAtomic(file, Buffer.from(JSON.stringify(result))).catch(() => undefined);
  return result;
}
