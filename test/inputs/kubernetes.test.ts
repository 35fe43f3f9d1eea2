import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bytes, normalizeWith } from './synthetic.js';

function workloads(text: string, path = 'deploy.yaml') {
  return normalizeWith({ manifest: { path, bytes: bytes(text) } }).workloads;
}

const podSpec = (image: string, extra = ''): string => `
      securityContext: {runAsUser: 1000, runAsNonRoot: true}
      initContainers: [{name: init, image: busybox}]
      containers:
        - name: main
          image: ${image}
          securityContext: {runAsUser: 0, privileged: true}${extra}`;

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  template:
    spec:${podSpec('nginx:1.27')}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template:
    spec:${podSpec('postgres:16')}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec: {template: {spec: {containers: [{name: a, image: "quay.io/agent:1"}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: r, image: "r:1"}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {template: {spec: {containers: [{name: m, image: "m:1"}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: "c:1"}]}}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: app, image: "app@sha256:${'f'.repeat(64)}"}]
  ephemeralContainers: [{name: dbg, image: "busybox:1.36"}]
`;

describe('Kubernetes manifests', () => {
  const list = workloads(manifests);

  it('reads every workload kind of a multi-document file and skips the rest', () => {
    assert.deepEqual(
      list.map((w) => w.kind),
      ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'],
    );
    assert.deepEqual(
      list.find((w) => w.kind === 'CronJob')?.containers.map((c) => c.image),
      ['c:1'],
    );
  });

  it('lists containers, init containers and ephemeral containers with parsed references', () => {
    const pod = list.find((w) => w.kind === 'Pod');
    assert.deepEqual(
      pod?.containers.map((c) => [c.name, c.type, c.image_ref?.digest ?? c.image_ref?.tag]),
      [
        ['app', 'container', `sha256:${'f'.repeat(64)}`],
        ['dbg', 'ephemeralContainer', '1.36'],
      ],
    );
    const deployment = list[0];
    assert.deepEqual(
      deployment?.containers.map((c) => [c.name, c.type]),
      [
        ['main', 'container'],
        ['init', 'initContainer'],
      ],
    );
    assert.equal(deployment?.namespace, 'shop');
    assert.deepEqual(deployment?.labels, { app: 'web' });
  });

  it('folds the pod securityContext into each container, the container winning', () => {
    const [main, init] = list[0]?.containers ?? [];
    assert.deepEqual(main?.security_context, { run_as_user: 0, run_as_non_root: true, privileged: true, allow_privilege_escalation: null });
    assert.deepEqual(init?.security_context, { run_as_user: 1000, run_as_non_root: true, privileged: null, allow_privilege_escalation: null });
  });

  it('reads a v1 List and takes the namespace for metadata from the first workload', () => {
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns1' }, spec: { containers: [{ name: 'x', image: 'x:1' }] } }],
    });
    const input = normalizeWith({ manifest: { path: 'list.json', bytes: bytes(json) } });
    assert.equal(input.workloads[0]?.name, 'p');
    assert.equal(input.metadata.namespace, 'ns1');
  });
});

describe('AdmissionReview', () => {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      namespace: 'payments',
      operation: 'UPDATE',
      userInfo: { username: 'ci-bot' },
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api' },
        spec: { template: { spec: { containers: [{ name: 'api', image: 'registry.local:5000/api:2' }] } } },
      },
      oldObject: null,
    },
  };

  it('reads the object of a full envelope, with operation, user and request namespace', () => {
    const [w] = workloads(JSON.stringify(review), 'review.json');
    assert.equal(w?.source, 'admission');
    assert.deepEqual([w?.kind, w?.name, w?.namespace, w?.operation, w?.username], ['Deployment', 'api', 'payments', 'UPDATE', 'ci-bot']);
    assert.equal(w?.containers[0]?.image_ref?.registry, 'registry.local:5000');
  });

  it('reads a bare AdmissionRequest (Kubewarden style)', () => {
    const [w] = workloads(JSON.stringify(review.request), 'request.json');
    assert.equal(w?.operation, 'UPDATE');
  });

  it('yields no workload for a DELETE without an object, or a non-workload kind', () => {
    assert.deepEqual(workloads(JSON.stringify({ ...review, request: { ...review.request, operation: 'DELETE', object: null } })), []);
    const ns = { ...review, request: { ...review.request, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } } };
    assert.deepEqual(workloads(JSON.stringify(ns)), []);
  });
});

describe('bad manifests', () => {
  function rejects(text: string, pattern: RegExp): void {
    assert.throws(
      () => workloads(text),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INPUT_INVALID');
        assert.match(err.message, pattern);
        return true;
      },
    );
  }

  it('names the document and the JSON path of a wrong type', () => {
    rejects(
      'kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: 42}]}\n---\nkind: Pod\n',
      /deploy\.yaml \(document 1\) \/spec is invalid:\n {2}\/containers\/0\/image: must be string/,
    );
  });

  it('names a workload without a pod spec', () => {
    rejects(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\n',
      /deploy\.yaml: Deployment has no pod spec at \/spec\/template\/spec/,
    );
  });

  it('rejects an AdmissionReview without a request (e.g. a response)', () => {
    rejects(
      '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {"uid": "x", "allowed": true}}',
      /deploy\.yaml: AdmissionReview has no request object/,
    );
  });

  it('rejects a document that is no Kubernetes object', () => {
    rejects('just: data\n', /deploy\.yaml is invalid:\n {2}\/: must have required property 'kind'/);
  });
});
