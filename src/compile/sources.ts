import { readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { AppError } from '../core/index.js';

const GLOB_CHARS = /[*?[\]{}!]/;

/**
 * Expands the definition's policy patterns into sorted absolute paths of
 * Rego files, leaving test files out, and fails on a pattern that matches nothing.
 */
export async function expandPolicies(patterns: readonly string[], from: string, source: string): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const matches = (await expand(pattern, from)).filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'));
    if (matches.length === 0) throw new AppError('DEFINITION_INVALID', `${source}: policies pattern '${pattern}' matches no Rego file`);
    for (const m of matches) found.add(m);
  }
  return [...found].sort();
}

async function expand(pattern: string, from: string): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(from, pattern);
  if (!GLOB_CHARS.test(absolute)) return [absolute];
  const segments = absolute.split(sep);
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join(sep) || sep;
  const isMatch = picomatch(relative(base, absolute), { dot: false });
  return (await walk(base)).filter((file) => isMatch(relative(base, file)));
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** The slash path of `file` below `base`, failing if it lies outside. */
export function pathBelow(base: string, file: string, source: string): string {
  const rel = relative(base, file);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new AppError('DEFINITION_INVALID', `${source}: ${file} lies outside ${base}, the folder bundle paths are relative to`);
  }
  return rel.split(sep).join('/');
}
