// The restricted Pod Security Standard checker the chart tests use: each
// control of the standard fails a pod that breaks it, and only that control.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REAL_FIXTURES } from '../helpers/fixtures.js';
import { podSpecOf, restrictedViolations } from './pss.js';

type Obj = Record<string, unknown>;

/** A synthetic pod that meets the restricted profile; each case below breaks one control. */
function compliant(): Obj {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/app@sha256:' + 'a'.repeat(64),
        ports: [{ containerPort: 8443 }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'c' } },
      { name: 'tmp', emptyDir: {} },
      { name: 'state', persistentVolumeClaim: { claimName: 's' } },
    ],
  };
}

const container = (spec: Obj): Obj => (spec['containers'] as Obj[])[0] as Obj;
const sc = (spec: Obj): Obj => container(spec)['securityContext'] as Obj;

describe('restricted Pod Security Standard checks', () => {
  it('passes a pod that meets every control, with pod-level runAsNonRoot and seccomp', () => {
    assert.deepEqual(restrictedViolations(compliant()), []);
  });

  it('fails a real, default pod from an admission request on each restricted control it misses', () => {
    const request = JSON.parse(readFileSync(join(REAL_FIXTURES, 'admission', 'pod-privileged-policy__no_privileged_containers.json'), 'utf8')) as Obj;
    const spec = podSpecOf(request['object'] as Obj);
    assert.ok(spec);
    const controls = restrictedViolations(spec).map((v) => v.split(':')[0]);
    assert.deepEqual([...new Set(controls)].sort(), ['Capabilities', 'Privilege Escalation', 'Running as Non-root', 'Seccomp']);
  });

  const cases: readonly (readonly [string, (spec: Obj) => void])[] = [
    ['Host Namespaces', (s) => (s['hostNetwork'] = true)],
    ['Host Namespaces', (s) => (s['hostPID'] = true)],
    ['Host Namespaces', (s) => (s['hostIPC'] = true)],
    ['Privileged Containers', (s) => (sc(s)['privileged'] = true)],
    ['Capabilities', (s) => (sc(s)['capabilities'] = { drop: ['ALL'], add: ['SYS_ADMIN'] })],
    ['Capabilities', (s) => (sc(s)['capabilities'] = { drop: ['NET_RAW'] })],
    ['Host Ports', (s) => (container(s)['ports'] = [{ containerPort: 80, hostPort: 80 }])],
    ['Seccomp', (s) => (sc(s)['seccompProfile'] = { type: 'Unconfined' })],
    ['Seccomp', (s) => ((s['securityContext'] as Obj)['seccompProfile'] = undefined)],
    ['Privilege Escalation', (s) => delete sc(s)['allowPrivilegeEscalation']],
    ['Running as Non-root', (s) => (sc(s)['runAsNonRoot'] = false)],
    ['Running as Non-root user', (s) => (sc(s)['runAsUser'] = 0)],
    ['/proc Mount Type', (s) => (sc(s)['procMount'] = 'Unmasked')],
    ['Sysctls', (s) => ((s['securityContext'] as Obj)['sysctls'] = [{ name: 'kernel.msgmax', value: '1' }])],
    ['SELinux', (s) => (sc(s)['seLinuxOptions'] = { type: 'spc_t' })],
    ['AppArmor', (s) => (sc(s)['appArmorProfile'] = { type: 'Unconfined' })],
    ['Volume Types', (s) => (s['volumes'] as Obj[]).push({ name: 'shared', nfs: { server: 'nfs', path: '/' } })],
  ];
  for (const [control, breakIt] of cases) {
    it(`fails a pod that breaks ${control} (${breakIt.toString().slice(8, 70)})`, () => {
      const spec = compliant();
      breakIt(spec);
      const controls = [...new Set(restrictedViolations(spec).map((v) => v.split(':')[0]))];
      assert.deepEqual(controls, [control]);
    });
  }

  it('fails a hostPath volume as baseline and restricted do', () => {
    const spec = compliant();
    (spec['volumes'] as Obj[]).push({ name: 'docker', hostPath: { path: '/var/run/docker.sock' } });
    const controls = restrictedViolations(spec).map((v) => v.split(':')[0]);
    assert.deepEqual(controls.sort(), ['HostPath Volumes', 'Volume Types']);
  });

  it('checks init and ephemeral containers too', () => {
    const spec = compliant();
    spec['initContainers'] = [{ name: 'init', image: 'x', securityContext: { privileged: true } }];
    assert.ok(restrictedViolations(spec).some((v) => v.startsWith('Privileged Containers: initContainers[init]')));
  });

  it('finds the pod spec of every workload kind', () => {
    const pod = compliant();
    assert.equal(podSpecOf({ kind: 'Deployment', spec: { template: { spec: pod } } }), pod);
    assert.equal(podSpecOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: pod } } } } }), pod);
    assert.equal(podSpecOf({ kind: 'ConfigMap', data: {} }), undefined);
  });
});
