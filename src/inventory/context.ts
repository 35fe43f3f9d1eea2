import { canonicalJson, sha256Hex } from '../core/index.js';
import type { ClusterMetadata } from '../inputs/index.js';
import type { ContextSpec } from '../store/index.js';

/** What the configuration says about a cluster and its namespaces. */
export interface ClusterSettings {
  /** Labels of the cluster, the policy's `metadata.labels`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The environment of namespaces whose labels name none. */
  readonly environment: string | null;
}

export interface ContextOptions {
  /** The namespace label whose value is the environment (admission.environment_label). */
  readonly environmentLabel: string;
  /** Labels by namespace name from the configuration (admission.namespaces); a snapshot's own labels win. */
  readonly namespaceLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly clusters: Readonly<Record<string, ClusterSettings>>;
}

/**
 * The cluster metadata a namespace's containers are evaluated with, exactly
 * as `portcullis check --metadata` would give it: the namespace, its labels
 * (the imported Namespace's, over those configured), the environment (the
 * environment label, else the cluster's configured environment, else none),
 * the cluster and its labels.
 */
export function namespaceMetadata(
  cluster: string,
  namespace: string,
  imported: Readonly<Record<string, string>> | undefined,
  o: ContextOptions,
): ClusterMetadata {
  const labels = { ...(o.namespaceLabels[namespace] ?? {}), ...(imported ?? {}) };
  const settings = o.clusters[cluster];
  return {
    namespace,
    namespace_labels: labels,
    environment: labels[o.environmentLabel] ?? settings?.environment ?? null,
    cluster,
    labels: settings?.labels ?? {},
  };
}

/** The context of a namespace: equal metadata gives the same key, so it is evaluated once. */
export function contextOf(metadata: ClusterMetadata): ContextSpec {
  return { key: sha256Hex(canonicalJson(metadata)).slice(0, 32), environment: metadata.environment, metadata: metadata as unknown as Record<string, unknown> };
}
