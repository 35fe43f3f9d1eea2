import { resolve } from 'node:path';

/** `admission:` and `gatekeeper:` in the serve configuration (docs/kubernetes.md). */
export interface KubernetesFile {
  readonly admission?: {
    /** deny (default) or warn for images without a stored scan result. */
    readonly unscanned?: 'deny' | 'warn';
    /** Fail (default, fail closed) or Ignore (fail open) when the policy cannot be evaluated. */
    readonly failure_policy?: 'Fail' | 'Ignore';
    readonly environment_label?: string;
    /** Labels of namespaces by name: AdmissionRequests carry none, the policy's profiles may need them. */
    readonly namespaces?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** Refuse admission, provider and report requests without a client certificate the client CA signed. */
    readonly require_client_cert?: boolean;
  };
  readonly gatekeeper?: {
    readonly settings?: string;
    readonly provider_name?: string;
    readonly provider_url?: string;
    readonly ca_bundle?: string;
    readonly timeout_seconds?: number;
    readonly scan_verdict?: 'deny' | 'warn' | 'dryrun' | 'none';
    readonly allow_unscanned?: boolean;
    readonly excluded_namespaces?: readonly string[];
  };
}

export interface KubernetesConfig {
  readonly unscanned: 'deny' | 'warn';
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly environmentLabel: string;
  readonly namespaceLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly requireClientCert: boolean;
  /** Absolute path of the policy settings the Gatekeeper constraints are generated from. */
  readonly settingsFile: string | undefined;
  readonly gatekeeper: {
    readonly providerName?: string;
    readonly providerUrl?: string;
    readonly caFile?: string;
    readonly timeoutSeconds?: number;
    readonly scanVerdict?: string;
    readonly allowUnscanned?: boolean;
    readonly excludedNamespaces?: readonly string[];
  };
}

const name = { type: 'string', minLength: 1 } as const;
const labels = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const admissionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    unscanned: { enum: ['deny', 'warn'] },
    failure_policy: { enum: ['Fail', 'Ignore'] },
    environment_label: name,
    namespaces: { type: 'object', additionalProperties: labels },
    require_client_cert: { type: 'boolean' },
  },
} as const;

export const gatekeeperSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    settings: name,
    provider_name: name,
    provider_url: { type: 'string', pattern: '^https://' },
    ca_bundle: name,
    timeout_seconds: { type: 'integer', minimum: 1, maximum: 30 },
    scan_verdict: { enum: ['deny', 'warn', 'dryrun', 'none'] },
    allow_unscanned: { type: 'boolean' },
    excluded_namespaces: { type: 'array', items: name },
  },
} as const;

/** Defaults: unscanned images denied, fail closed. Paths are relative to the configuration file. */
export function kubernetesConfig(file: KubernetesFile, base: string): KubernetesConfig {
  const a = file.admission ?? {};
  const g = file.gatekeeper ?? {};
  return Object.freeze({
    unscanned: a.unscanned ?? 'deny',
    failurePolicy: a.failure_policy ?? 'Fail',
    environmentLabel: a.environment_label ?? 'portcullis.dev/environment',
    namespaceLabels: a.namespaces ?? {},
    requireClientCert: a.require_client_cert ?? false,
    settingsFile: g.settings === undefined ? undefined : resolve(base, g.settings),
    gatekeeper: {
      ...(g.provider_name === undefined ? {} : { providerName: g.provider_name }),
      ...(g.provider_url === undefined ? {} : { providerUrl: g.provider_url }),
      ...(g.ca_bundle === undefined ? {} : { caFile: resolve(base, g.ca_bundle) }),
      ...(g.timeout_seconds === undefined ? {} : { timeoutSeconds: g.timeout_seconds }),
      ...(g.scan_verdict === undefined ? {} : { scanVerdict: g.scan_verdict }),
      ...(g.allow_unscanned === undefined ? {} : { allowUnscanned: g.allow_unscanned }),
      ...(g.excluded_namespaces === undefined ? {} : { excludedNamespaces: g.excluded_namespaces }),
    },
  });
}
