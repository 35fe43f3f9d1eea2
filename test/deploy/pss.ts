// The Kubernetes Pod Security Standards, "restricted" profile (which includes
// "baseline"), as written at kubernetes.io/docs/concepts/security/pod-security-standards/
// (policy version 1.25+, Linux pods). Each check names the control it comes
// from, so a failure says which rule of the standard a manifest breaks.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objAt = (o: unknown, key: string): Obj => (isObj(o) && isObj(o[key]) ? o[key] : {});
const listAt = (o: unknown, key: string): unknown[] => (isObj(o) && Array.isArray(o[key]) ? o[key] : []);
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Workload kinds and where their pod spec is. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The pod spec of a workload object, or undefined for objects that run no pods. */
export function podSpecOf(object: Obj): Obj | undefined {
  const path = POD_SPEC_PATHS[String(object['kind'])];
  if (!path) return undefined;
  let at: unknown = object;
  for (const key of path) at = isObj(at) ? at[key] : undefined;
  return isObj(at) ? at : undefined;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** Every way a pod spec breaks the restricted profile, as "control: what" lines; empty when it complies. */
export function restrictedViolations(spec: Obj): string[] {
  const out: string[] = [];
  const podSc = objAt(spec, 'securityContext');
  const containers = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((k) =>
    listAt(spec, k)
      .filter(isObj)
      .map((c) => ({ name: `${k}[${String(c['name'])}]`, c, sc: objAt(c, 'securityContext') })),
  );

  // Baseline.
  if (objAt(podSc, 'windowsOptions')['hostProcess'] === true) out.push('HostProcess: pod hostProcess is true');
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[key] === true) out.push(`Host Namespaces: ${key} is true`);
  for (const volume of listAt(spec, 'volumes').filter(isObj)) {
    if ('hostPath' in volume) out.push(`HostPath Volumes: volume ${String(volume['name'])} is a hostPath`);
    const types = Object.keys(volume).filter((k) => k !== 'name');
    for (const type of types) if (!RESTRICTED_VOLUMES.has(type)) out.push(`Volume Types: volume ${String(volume['name'])} is of type ${type}`);
  }
  for (const sysctl of listAt(podSc, 'sysctls').filter(isObj)) {
    if (!SAFE_SYSCTLS.has(String(sysctl['name']))) out.push(`Sysctls: ${String(sysctl['name'])} is not a safe sysctl`);
  }
  checkSeLinux(objAt(podSc, 'seLinuxOptions'), 'pod', out);
  checkSeccomp(podSc, 'pod', out);
  checkAppArmor(podSc, 'pod', out);

  // Restricted, pod level: runAsNonRoot and seccomp may be set on the pod for every container.
  const podNonRoot = podSc['runAsNonRoot'] === true;
  const podSeccomp = isAllowedRestrictedSeccomp(objAt(podSc, 'seccompProfile'));
  if (podSc['runAsUser'] === 0) out.push('Running as Non-root user: pod runAsUser is 0');

  for (const { name, c, sc } of containers) {
    if (objAt(sc, 'windowsOptions')['hostProcess'] === true) out.push(`HostProcess: ${name} hostProcess is true`);
    if (sc['privileged'] === true) out.push(`Privileged Containers: ${name} is privileged`);
    const caps = objAt(sc, 'capabilities');
    const added = listAt(caps, 'add').map(String);
    for (const cap of added) if (!BASELINE_CAPABILITIES.has(cap)) out.push(`Capabilities: ${name} adds ${cap}`);
    for (const port of listAt(c, 'ports').filter(isObj)) {
      if (port['hostPort'] !== undefined && port['hostPort'] !== 0) out.push(`Host Ports: ${name} uses hostPort ${show(port['hostPort'])}`);
    }
    checkSeLinux(objAt(sc, 'seLinuxOptions'), name, out);
    if (sc['procMount'] !== undefined && sc['procMount'] !== 'Default') out.push(`/proc Mount Type: ${name} procMount is ${show(sc['procMount'])}`);
    checkSeccomp(sc, name, out);
    checkAppArmor(sc, name, out);

    // Restricted.
    if (sc['allowPrivilegeEscalation'] !== false) out.push(`Privilege Escalation: ${name} does not set allowPrivilegeEscalation: false`);
    if (sc['runAsNonRoot'] === false || (!podNonRoot && sc['runAsNonRoot'] !== true)) out.push(`Running as Non-root: ${name} is not runAsNonRoot`);
    if (sc['runAsUser'] === 0) out.push(`Running as Non-root user: ${name} runAsUser is 0`);
    const ownSeccomp = objAt(sc, 'seccompProfile');
    if ('type' in ownSeccomp ? !isAllowedRestrictedSeccomp(ownSeccomp) : !podSeccomp) out.push(`Seccomp: ${name} has no RuntimeDefault or Localhost profile`);
    if (!listAt(caps, 'drop').map(String).includes('ALL')) out.push(`Capabilities: ${name} does not drop ALL`);
    for (const cap of added) if (cap !== 'NET_BIND_SERVICE') out.push(`Capabilities: ${name} adds ${cap} (restricted allows NET_BIND_SERVICE only)`);
  }
  return [...new Set(out)];
}

function isAllowedRestrictedSeccomp(profile: Obj): boolean {
  return profile['type'] === 'RuntimeDefault' || profile['type'] === 'Localhost';
}

function checkSeccomp(sc: Obj, who: string, out: string[]): void {
  if (objAt(sc, 'seccompProfile')['type'] === 'Unconfined') out.push(`Seccomp: ${who} is Unconfined`);
}

function checkAppArmor(sc: Obj, who: string, out: string[]): void {
  const type = objAt(sc, 'appArmorProfile')['type'];
  if (type !== undefined && type !== 'RuntimeDefault' && type !== 'Localhost') out.push(`AppArmor: ${who} profile is ${show(type)}`);
}

function checkSeLinux(options: Obj, who: string, out: string[]): void {
  if (options['type'] !== undefined && !SELINUX_TYPES.has(show(options['type']))) out.push(`SELinux: ${who} type ${show(options['type'])} is not allowed`);
  for (const key of ['user', 'role']) if (options[key] !== undefined && options[key] !== '') out.push(`SELinux: ${who} sets ${key}`);
}
