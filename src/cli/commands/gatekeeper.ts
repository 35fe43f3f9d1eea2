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
  for (const [file, text] of manifestFiles(set)) await writeFileAtomic(join(out, file), Buffer.from(text, 'utf8'));
  process.stderr.write(`portcullis: wrote ${set.templates.length} templates, ${set.constraints.length} constraints and the provider to ${out}\n`);
  return EXIT.OK;
}
