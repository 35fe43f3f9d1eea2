import { AppError } from '../core/index.js';
import { DEFAULT_MODES, DEFAULT_MUTABLE_TAGS, type EnvironmentProfile, type PolicySettings, type RuleMode } from './settings.js';
import { MANAGED_BY, TEMPLATES, type Manifest, type TemplateDefinition } from './templates.js';

export type EnforcementAction = 'deny' | 'warn' | 'dryrun';

/** Gatekeeper has no "off": a rule switched off still audits (dryrun) but never blocks or warns. */
export const ACTION_OF: Readonly<Record<RuleMode, EnforcementAction>> = { deny: 'deny', warn: 'warn', off: 'dryrun' };

/** Pods and every workload kind that carries a pod template. */
export const MATCH_KINDS = [
  { apiGroups: [''], kinds: ['Pod', 'ReplicationController'] },
  { apiGroups: ['apps'], kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] },
  { apiGroups: ['batch'], kinds: ['Job', 'CronJob'] },
] as const;

export interface ConstraintOptions {
  /** Namespaces no constraint applies to (the control plane, Gatekeeper and portcullis itself). */
  readonly excludedNamespaces: readonly string[];
  readonly providerName: string;
  readonly scanVerdict: { readonly action: EnforcementAction; readonly allowUnscanned: boolean } | null;
}

/** One Constraint per rule for unmatched namespaces, plus one per namespace-matched environment profile. */
export function constraintsFor(settings: PolicySettings, options: ConstraintOptions, notes: string[]): Manifest[] {
  const profiles = (settings.environments ?? []).filter((p) => (p.match?.namespaces ?? []).length > 0);
  for (const p of settings.environments ?? []) {
    if (!profiles.includes(p) && (p.match?.environments ?? []).length > 0) {
      notes.push(`profile '${p.name}' matches by environment name, which Gatekeeper cannot see; its namespaces get the default constraints`);
    }
  }
  const fallback = (settings.environments ?? []).find((p) => p.name === settings.default_environment);
  const out: Manifest[] = [];
  for (const def of TEMPLATES) {
    const parameters = parametersOf(def, settings, options);
    if (!parameters) continue;
    // The scan verdict's action is one setting, not a rule mode: profiles do not change it.
    const scoped = def.rule === 'scan_verdict' ? [] : profiles;
    const claimed = scoped.flatMap((p) => p.match?.namespaces ?? []);
    out.push(
      constraint(def, `portcullis-${dns(def.rule)}`, actionOf(def, settings, fallback, options), parameters, {
        excludedNamespaces: [...options.excludedNamespaces, ...claimed.map(namespaceGlob)],
      }),
    );
    scoped.forEach((profile, i) => {
      const earlier = scoped.slice(0, i).flatMap((p) => p.match?.namespaces ?? []);
      out.push(
        constraint(def, `portcullis-${dns(def.rule)}-${dns(profile.name)}`, actionOf(def, settings, profile, options), parameters, {
          namespaces: (profile.match?.namespaces ?? []).map(namespaceGlob),
          excludedNamespaces: [...options.excludedNamespaces, ...earlier.map(namespaceGlob)],
        }),
      );
    });
  }
  return out;
}

function parametersOf(def: TemplateDefinition, settings: PolicySettings, options: ConstraintOptions): Record<string, unknown> | null {
  switch (def.rule) {
    case 'require_digest':
      return {};
    case 'registry_not_allowed': {
      const registries = settings.images?.allowed_registries ?? [];
      return registries.length > 0 ? { registries: [...registries] } : null;
    }
    case 'mutable_tag':
      return { tags: [...(settings.images?.mutable_tags ?? DEFAULT_MUTABLE_TAGS)] };
    case 'scan_verdict':
      return options.scanVerdict ? { provider: options.providerName, allowUnscanned: options.scanVerdict.allowUnscanned } : null;
    default:
      return null;
  }
}

/** The library's precedence: the profile's mode, else the global one, else the catalog default. */
function actionOf(def: TemplateDefinition, settings: PolicySettings, profile: EnvironmentProfile | undefined, options: ConstraintOptions): EnforcementAction {
  if (def.rule === 'scan_verdict') return options.scanVerdict?.action ?? 'deny';
  const mode = profile?.rules?.[def.rule]?.enforcement ?? settings.rules?.[def.rule]?.enforcement ?? DEFAULT_MODES[def.rule] ?? 'deny';
  return ACTION_OF[mode];
}

interface Scope {
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces: readonly string[];
}

function constraint(def: TemplateDefinition, name: string, action: EnforcementAction, parameters: Record<string, unknown>, scope: Scope): Manifest {
  const match: Record<string, unknown> = { kinds: MATCH_KINDS.map((k) => ({ apiGroups: [...k.apiGroups], kinds: [...k.kinds] })) };
  if (scope.namespaces) match['namespaces'] = [...new Set(scope.namespaces)];
  if (scope.excludedNamespaces.length > 0) match['excludedNamespaces'] = [...new Set(scope.excludedNamespaces)];
  return {
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: def.kind,
    metadata: { name, labels: { ...MANAGED_BY }, annotations: { 'portcullis.dev/rule': def.rule } },
    spec: { enforcementAction: action, match, parameters },
  };
}

/** Gatekeeper matches namespaces exactly or with one `*` at the start or the end; other globs cannot be carried over. */
function namespaceGlob(pattern: string): string {
  const inner = pattern.replace(/^\*|\*$/g, '');
  if (/[*?[\]{}]/.test(inner)) {
    throw new AppError(
      'CONFIG_INVALID',
      `namespace pattern '${pattern}' cannot be expressed in a Gatekeeper match (only a leading or trailing * is supported)`,
    );
  }
  return pattern;
}

/** A DNS-1123 label fragment for object names. */
function dns(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'x'
  );
}
