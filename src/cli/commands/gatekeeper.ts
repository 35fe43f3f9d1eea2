import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../compile/index.js';
import { EXIT } from '../../core/index.js';
import { generateManifests, manifestFiles, manifestsYaml, readPolicySettings, resolveGatekeeperOptions } from '../../gatekeeper/index.js';

export interface GatekeeperCommandOptions {
  readonly out?: string;
  readonly settings?: string;
  readonly providerName?: string;
  readonly providerUrl?: string;
  readonly timeout?: string;
  readonly caBundle?: string;
  readonly excludeNamespace?: string[];
  readonly scanVerdict?: string;
  readonly allowUnscanned?: boolean;
}

/** Prints every manifest as one YAML stream, or writes one file per object under --out. */
export async function gatekeeper(options: GatekeeperCommandOptions): Promise<number> {
  const settings = options.settings ? await readPolicySettings(options.settings) : {};
  const set = generateManifests(
    settings,
    await resolveGatekeeperOptions({
      providerName: options.providerName,
      providerUrl: options.providerUrl,
      timeoutSeconds: options.timeout === undefined ? undefined : Number(options.timeout),
      caFile: options.caBundle,
      excludedNamespaces: options.excludeNamespace,
      scanVerdict: options.scanVerdict,
      allowUnscanned: options.allowUnscanned,
    }),
  );
  for (const note of set.notes) process.stderr.write(`portcullis: note: ${note}\n`);
  if (!options.out) {
    process.stdout.write(manifestsYaml(set));
    return EXIT.OK;
  }
  const out = resolve(options.out);
  const files = manifestFiles(set);
  for (const [file, text] of files) await writeFileAtomic(join(out, file), Buffer.from(text, 'utf8'));
  const removed = await removeStale(out, new Set(files.keys()));
  if (removed.length > 0) process.stderr.write(`portcullis: removed ${removed.join(', ')}: the settings no longer produce them\n`);
  process.stderr.write(`portcullis: wrote ${set.templates.length} templates, ${set.constraints.length} constraints and the provider to ${out}\n`);
  return EXIT.OK;
}

/**
 * A constraint the settings no longer produce (a registry list emptied, a
 * profile removed) must not linger for `kubectl apply -f DIR`; only files
 * portcullis wrote, by their managed-by label, are removed.
 */
async function removeStale(out: string, current: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of ['templates', 'constraints']) {
    const names = await readdir(join(out, folder)).catch(() => [] as string[]);
    for (const name of names) {
      const file = `${folder}/${name}`;
      if (!name.endsWith('.yaml') || current.has(file)) continue;
      const text = await readFile(join(out, file), 'utf8');
      if (!text.includes('app.kubernetes.io/managed-by: portcullis')) continue;
      await rm(join(out, file));
      removed.push(file);
    }
  }
  return removed;
}
