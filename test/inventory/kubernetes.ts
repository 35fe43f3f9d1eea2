// Synthetic Kubernetes objects in the shape `kubectl get ... -o json` prints
// them, built for tests (no real cluster's output is in test/fixtures/real).

export const DIGEST = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

export function list(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

export function namespace(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } }, status: { phase: 'Active' } };
}

export interface Owner {
  readonly replicaSet?: string;
  readonly hash?: string;
  readonly job?: string;
  readonly statefulSet?: string;
}

/** A running Pod; containers are [name, spec image, status imageID]. */
export function pod(ns: string, name: string, containers: readonly (readonly [string, string, string])[], owner: Owner = {}): Record<string, unknown> {
  const ownerReferences = owner.replicaSet
    ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.replicaSet, uid: 'u1', controller: true, blockOwnerDeletion: true }]
    : owner.job
      ? [{ apiVersion: 'batch/v1', kind: 'Job', name: owner.job, uid: 'u2', controller: true }]
      : owner.statefulSet
        ? [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: owner.statefulSet, uid: 'u3', controller: true }]
        : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { app: name, ...(owner.hash ? { 'pod-template-hash': owner.hash } : {}) },
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: { containers: containers.map(([c, image]) => ({ name: c, image, imagePullPolicy: 'IfNotPresent' })), restartPolicy: 'Always' },
    status: {
      phase: 'Running',
      containerStatuses: containers.map(([c, image, imageID]) => ({ name: c, image, imageID, ready: true, restartCount: 0, started: true })),
    },
  };
}

export function deployment(ns: string, name: string, image: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}
