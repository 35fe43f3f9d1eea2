import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { extract } from 'tar';
import { AppError } from '../core/index.js';

/** Runs git with an argument array in `cwd`; rejects with git's stderr. */
export function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err as Error, { stderr }));
      else resolve(stdout);
    });
  });
}

/** The top of the git checkout holding `cwd`, or a usage error: review compares commits, so it needs one. */
export async function repositoryRoot(cwd: string): Promise<string> {
  try {
    return (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch (err) {
    throw new AppError('USAGE', `portcullis review must run inside a git checkout (${cwd} is not in one)`, { cause: err });
  }
}

/** The commit `ref` names, or GIT_REF_INVALID naming the option and the ref. */
export async function resolveCommit(root: string, ref: string, option: string): Promise<string> {
  // `--end-of-options` keeps a ref such as "--output=x" from being read as an option.
  try {
    return (await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
  } catch (err) {
    throw new AppError('GIT_REF_INVALID', `${option} ${ref}: not a commit in this repository (fetch it first, e.g. git fetch origin ${ref})`, { cause: err });
  }
}

/**
 * Writes the tree of `commit` to `dir` with `git archive` and unpacks it
 * there, leaving the checkout, its index and its worktree list untouched.
 */
export async function exportCommit(root: string, commit: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const archive = `${dir}.tar`;
  try {
    await git(root, ['archive', '--format=tar', `--output=${archive}`, commit]);
    await extract({ file: archive, cwd: dir, strict: true });
  } finally {
    await rm(archive, { force: true });
  }
}
