import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSnapshot, parseSnapshotDocument } from '../../src/inventory/index.js';
import { REAL_REPORTS } from '../helpers/fixtures.js';
import { DIGEST, list, namespace, pod, deployment } from './kubernetes.js';

const parse = (doc: unknown) => parseSnapshot(Buffer.from(JSON.stringify(doc)), 'pods.json');
const key = (r: { namespace: string; kind: string; name: string; container: string }) => `${r.namespace}/${r.kind}/${r.name}/${r.container}`;

describe('inventory snapshots (kubectl get ... -o json)', () => {
  it('reads the running digest from each container status and traces pods to their workload', () => {
    const parsed = parse(
      list([
        namespace('shop', { 'portcullis.dev/environment': 'prod' }),
        pod('shop', 'web-5d4f8b7c9-abcde', [['web', 'shop/web:1.0', `docker.io/shop/web@${DIGEST(1)}`]], { replicaSet: 'web-5d4f8b7c9', hash: '5d4f8b7c9' }),
        pod('shop', 'web-5d4f8b7c9-fghij', [['web', 'shop/web:1.0', `docker-pullable://shop/web@${DIGEST(1)}`]], {
          replicaSet: 'web-5d4f8b7c9',
          hash: '5d4f8b7c9',
        }),
        pod('shop', 'backup-28871040-xk2p9', [['dump', `registry.example.com/dump@${DIGEST(2)}`, 'sha256:ffff']], { job: 'backup-28871040' }),
        pod('shop', 'db-0', [['db', 'postgres:16', `docker.io/library/postgres@${DIGEST(3)}`]], { statefulSet: 'db' }),
        pod('shop', 'debug', [['sh', 'busybox', 'sha256:abcd']]),
      ]),
    );
    assert.deepEqual(parsed.namespaces, [{ name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', 'portcullis.dev/environment': 'prod' } }]);
    const byKey = new Map(parsed.running.map((r) => [key(r), r]));
    assert.deepEqual([...byKey.keys()].sort(), ['shop/CronJob/backup/dump', 'shop/Deployment/web/web', 'shop/Pod/debug/sh', 'shop/StatefulSet/db/db'].sort());
    assert.equal(byKey.get('shop/Deployment/web/web')?.replicas, 2, 'two pods of one digest are one container with two replicas');
    assert.equal(byKey.get('shop/Deployment/web/web')?.digest, DIGEST(1));
    assert.equal(byKey.get('shop/Deployment/web/web')?.repository, 'docker.io/shop/web');
    assert.equal(byKey.get('shop/CronJob/backup/dump')?.digest, DIGEST(2), 'a bare image ID falls back to the digest the spec pins');
    assert.equal(byKey.get('shop/Pod/debug/sh')?.digest, null);
    assert.match(byKey.get('shop/Pod/debug/sh')?.unresolved ?? '', /image ID sha256:abcd, not a registry digest/);
    assert.deepEqual(parsed.warnings, []);
  });

  it('counts what it skips: unknown kinds, completed pods, pods without status, duplicates', () => {
    const running = pod('shop', 'a', [['c', 'nginx:1', `docker.io/library/nginx@${DIGEST(4)}`]]);
    const parsed = parse(
      list([
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop' } },
        { ...pod('shop', 'done', [['c', 'nginx:1', 'x']]), status: { phase: 'Succeeded' } },
        { ...pod('shop', 'pending', [['c', `nginx@${DIGEST(5)}`, 'x']]), status: { phase: 'Pending' } },
        running,
        running,
      ]),
    );
    assert.deepEqual(
      parsed.warnings.map((w) => [w.code, w.count, w.items]),
      [
        ['unknown_kind', 1, ['items[0]']],
        ['pod_not_running', 1, ['items[1]']],
        ['pod_without_status', 1, ['items[2]']],
        ['duplicate_item', 1, ['items[4]']],
      ],
    );
    assert.deepEqual(parsed.running.map((r) => [r.name, r.digest]).sort(), [
      ['a', DIGEST(4)],
      ['pending', DIGEST(5)],
    ]);
  });

  it('refuses lists it cannot trust, naming the item', () => {
    const cases: [unknown, RegExp][] = [
      [{ kind: 'Pod', metadata: { name: 'x' } }, /kind Pod is not a list/],
      [{ ...list([]), metadata: { continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' } }, /partial \(metadata.continue is set\)/],
      [list([{ kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] } }]), /items\[0\] Pod x has no metadata.namespace/],
      [list([{ metadata: { name: 'x' } }]), /items\[0\] has no kind/],
      [list([{ kind: 'Deployment', metadata: { name: 'x', namespace: 'n' }, spec: {} }]), /items\[0\].spec.template.spec is missing/],
      [list([pod('n', 'x', [['', 'nginx', '']])]), /items\[0\].spec.containers\[0\] needs a name and an image/],
      [{ kind: 'List', items: 'nope' }, /items must be a list/],
    ];
    for (const [doc, message] of cases)
      assert.throws(
        () => parse(doc),
        (err: Error) => message.test(err.message),
        String(message),
      );
    assert.throws(() => parseSnapshot(Buffer.from('{"kind":'), 'pods.json'), /pods.json: not valid JSON/);
    assert.throws(() => parseSnapshot(Buffer.from([0xff, 0xfe]), 'pods.json'), /not valid UTF-8/);
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    assert.throws(() => parse({ kind: 'List', items: [deep] }), /pods.json: nesting deeper than 64 levels at line 1/);
    // A request body arrives parsed: the same limit, checked on the document.
    assert.throws(() => parseSnapshotDocument({ kind: 'List', items: [deep] }, 'request body'), /request body: nested deeper than 64 levels/);
    assert.throws(() => parseSnapshot(Buffer.from('{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"\\ud800"}}]}'), 'pods.json'), /lone surrogate/);
  });

  it('refuses names, labels and images longer than an API server writes, naming the field and not echoing it', () => {
    const long = (n: number) => 'a'.repeat(n);
    const web = (containers: readonly (readonly [string, string, string])[]) => pod('shop', 'web', containers);
    const cases: [unknown, RegExp][] = [
      [list([namespace(long(64))]), /items\[0\].metadata.name is 64 characters long; Kubernetes allows at most 63/],
      [list([pod('shop', long(254), [['web', 'nginx', '']])]), /items\[0\].metadata.name is 254 characters long; Kubernetes allows at most 253/],
      [list([namespace('shop', { team: long(64) })]), /items\[0\].metadata.labels\["team"\] is 64 characters long/],
      [list([namespace('shop', { [long(318)]: 'x' })]), /items\[0\].metadata.labels key is 318 characters long/],
      [list([web([[long(64), 'nginx', '']])]), /items\[0\].spec.containers\[0\].name is 64 characters long/],
      [
        list([web([['web', `registry.example/${long(1024)}`, '']])]),
        /items\[0\].spec.containers\[0\].image is 1041 characters long; Kubernetes allows at most 1024/,
      ],
      [list([web([['web', 'nginx', `docker.io/library/nginx@sha256:${long(1000)}`]])]), /items\[0\].spec.containers\[0\] status imageID is 1031 characters/],
      [list([pod('shop', 'web-1', [['web', 'nginx', '']], { replicaSet: long(254), hash: '1' })]), /items\[0\].metadata.ownerReferences\[0\].name is 254/],
    ];
    for (const [doc, message] of cases)
      assert.throws(
        () => parse(doc),
        (err: Error) => message.test(err.message) && err.message.length < 300,
        String(message),
      );
    // At the limits, everything is read.
    assert.equal(
      parse(list([namespace(long(63), { [`${long(253)}/${long(63)}`]: long(63) }), web([[long(63), `r.example/${long(1000)}`, '']])])).running.length,
      1,
    );
  });

  it('takes workload templates when no pod of the workload is listed, and drops those scaled to zero', () => {
    const parsed = parse(
      list([
        deployment('shop', 'api', `registry.example.com/api@${DIGEST(6)}`, 3),
        deployment('shop', 'idle', 'registry.example.com/idle:1', 0),
        deployment('shop', 'web', 'shop/web:1.0', 2),
        pod('shop', 'web-5d4f8b7c9-abcde', [['app', 'shop/web:1.0', `docker.io/shop/web@${DIGEST(1)}`]], { replicaSet: 'web-5d4f8b7c9', hash: '5d4f8b7c9' }),
      ]),
    );
    assert.deepEqual(parsed.running.map((r) => [r.name, r.digest, r.replicas]).sort(), [
      ['api', DIGEST(6), 3],
      ['web', DIGEST(1), 1],
    ]);
    assert.deepEqual(
      parsed.warnings.map((w) => w.code),
      ['not_running'],
    );
  });

  it("reads a real Trivy Operator VulnerabilityReport: the scan's digest and the container it was taken for", async () => {
    const bytes = await readFile(join(REAL_REPORTS, 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json'));
    const parsed = parseSnapshot(bytes, 'vulnerabilityreports.json');
    assert.equal(parsed.workloads, 0);
    const [report] = parsed.reports;
    assert.equal(report?.digest, 'sha256:f78909c2b360d866b3220655c0b079838258b8891a12ac25fc670f0cbb54229f');
    assert.equal(report?.image, 'index.docker.io/library/ubuntu:20.04@sha256:f78909c2b360d866b3220655c0b079838258b8891a12ac25fc670f0cbb54229f');
    assert.deepEqual(
      report?.running && [report.running.namespace, report.running.kind, report.running.name, report.running.container, report.running.repository],
      ['lbc', 'Pod', 'ubuntu', 'ubuntu', 'docker.io/library/ubuntu'],
    );
  });
});
