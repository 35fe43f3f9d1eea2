import { readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { AppError, messageOf } from '../core/index.js';
import { normalizeFiles } from '../inputs/index.js';
import type { ReplayCase, SkippedInput } from './model.js';

export interface LoadedCases {
  readonly cases: ReplayCase[];
  readonly skipped: SkippedInput[];
}

interface CaseFiles {
  reports: { path: string }[];
  dockerfile?: string;
  manifest?: string;
  metadata?: string;
}

/**
 * Reads a corpus folder. A report file (*.json) directly in it is one case;
 * every subfolder holding files is one case of its scan reports (*.json),
 * Dockerfile (Dockerfile or *.Dockerfile), manifest (manifest.yaml|yml|json)
 * and cluster metadata (metadata.yaml|yml|json). Each case is normalized as
 * `portcullis check` would, at the review's time.
 */
export async function loadCorpus(dir: string, now: string): Promise<LoadedCases> {
  const groups = await caseGroups(dir);
  const cases: ReplayCase[] = [];
  const skipped: SkippedInput[] = [];
  const ids = [...groups.keys()].sort();
  // A few at a time: enough to overlap file reads, few enough to bound memory on a large corpus.
  for (let i = 0; i < ids.length; i += 8) {
    const batch = ids.slice(i, i + 8);
    const settled = await Promise.allSettled(batch.map((id) => normalizeFiles({ ...(groups.get(id) as CaseFiles), now })));
    settled.forEach((s, j) => {
      const id = batch[j] as string;
      if (s.status === 'fulfilled') cases.push({ id, source: dir, input: JSON.stringify(s.value) });
      else skipped.push({ id, reason: messageOf(s.reason).replaceAll(`${dir}${sep}`, '') });
    });
  }
  return { cases, skipped };
}

async function caseGroups(dir: string): Promise<Map<string, CaseFiles>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', `--corpus ${dir}: no such folder`, { cause: err });
  }
  const groups = new Map<string, CaseFiles>();
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const path = join(entry.parentPath, entry.name);
    const folder = relative(dir, entry.parentPath).split(sep).join('/');
    const id = folder === '' ? entry.name : folder;
    if (folder === '' && !entry.name.endsWith('.json')) continue;
    const group = groups.get(id) ?? { reports: [] };
    assign(group, entry.name, path);
    groups.set(id, group);
  }
  for (const [id, g] of groups) if (g.reports.length === 0 && !g.dockerfile && !g.manifest) groups.delete(id);
  return groups;
}

function assign(group: CaseFiles, name: string, path: string): void {
  const lower = name.toLowerCase();
  if (/^manifest\.(ya?ml|json)$/.test(lower)) group.manifest = path;
  else if (/^metadata\.(ya?ml|json)$/.test(lower)) group.metadata = path;
  else if (lower === 'dockerfile' || lower.endsWith('.dockerfile')) group.dockerfile = path;
  else if (lower.endsWith('.json')) group.reports.push({ path });
}

/** Case ids are corpus-relative; with several corpora the folder name keeps them apart. */
export function prefixIds(loaded: LoadedCases, dir: string, several: boolean): LoadedCases {
  if (!several) return loaded;
  const prefix = basename(dir);
  return {
    cases: loaded.cases.map((c) => ({ ...c, id: `${prefix}/${c.id}` })),
    skipped: loaded.skipped.map((s) => ({ ...s, id: `${prefix}/${s.id}` })),
  };
}
