import { stringify } from 'yaml';
import { constraintsFor, type EnforcementAction } from './constraints.js';
import type { PolicySettings } from './settings.js';
import { MANAGED_BY, TEMPLATES, constraintTemplate, type Manifest } from './templates.js';

export interface ProviderOptions {
  readonly name: string;
  /** https://<service>.<namespace>.svc:<port>/v1/gatekeeper/provider; Gatekeeper accepts only https. */
  readonly url: string;
  /** Seconds Gatekeeper waits for an answer. */
  readonly timeoutSeconds: number;
  /** PEM of the CA that signed the serving certificate; Gatekeeper trusts only it. */
  readonly caPem?: string;
}

export interface GatekeeperOptions {
  readonly provider: ProviderOptions;
  readonly excludedNamespaces: readonly string[];
  /** null leaves out the scan-verdict Constraint (the template is still generated). */
  readonly scanVerdict: { readonly action: EnforcementAction; readonly allowUnscanned: boolean } | null;
}

export const DEFAULT_GATEKEEPER_OPTIONS: GatekeeperOptions = {
  provider: { name: 'portcullis', url: 'https://portcullis.portcullis.svc:8443/v1/gatekeeper/provider', timeoutSeconds: 3 },
  excludedNamespaces: ['kube-system', 'gatekeeper-system', 'portcullis'],
  scanVerdict: { action: 'deny', allowUnscanned: false },
};

export interface ManifestSet {
  readonly templates: readonly Manifest[];
  readonly constraints: readonly Manifest[];
  readonly provider: Manifest;
  /** What the settings ask for that Gatekeeper cannot express. */
  readonly notes: readonly string[];
}

/** Pure: settings and options in, every object Gatekeeper needs out. */
export function generateManifests(settings: PolicySettings, options: GatekeeperOptions = DEFAULT_GATEKEEPER_OPTIONS): ManifestSet {
  const notes: string[] = [];
  const constraints = constraintsFor(
    settings,
    { excludedNamespaces: options.excludedNamespaces, providerName: options.provider.name, scanVerdict: options.scanVerdict },
    notes,
  );
  if (options.provider.caPem === undefined) notes.push('the Provider has no caBundle; Gatekeeper requires one (pass the CA certificate)');
  return { templates: TEMPLATES.map(constraintTemplate), constraints, provider: providerManifest(options.provider), notes };
}

export function providerManifest(options: ProviderOptions): Manifest {
  const spec: Record<string, unknown> = { url: options.url, timeout: options.timeoutSeconds };
  if (options.caPem !== undefined) spec['caBundle'] = Buffer.from(options.caPem, 'utf8').toString('base64');
  return { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'Provider', metadata: { name: options.name, labels: { ...MANAGED_BY } }, spec };
}

/** Every object in apply order (templates before their constraints), as one multi-document YAML stream. */
export function manifestsYaml(set: ManifestSet): string {
  return [set.provider, ...set.templates, ...set.constraints].map(documentYaml).join('');
}

export function documentYaml(object: Manifest): string {
  // Block literals keep the Rego readable in the YAML; no line folding.
  return `---\n${stringify(object, { lineWidth: 0, blockQuote: 'literal' })}`;
}

/** Files of `--out DIR`: one per object, grouped the way gator and kubectl read folders. */
export function manifestFiles(set: ManifestSet): ReadonlyMap<string, string> {
  const files = new Map<string, string>([['provider.yaml', documentYaml(set.provider)]]);
  for (const t of set.templates) files.set(`templates/${nameOf(t)}.yaml`, documentYaml(t));
  for (const c of set.constraints) files.set(`constraints/${nameOf(c)}.yaml`, documentYaml(c));
  return files;
}

function nameOf(object: Manifest): string {
  return String((object['metadata'] as { name: string }).name);
}
