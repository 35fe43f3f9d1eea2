import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, messageOf } from '../core/index.js';

const run = promisify(execFile);

export interface CertificateRequest {
  readonly outDir: string;
  /** Names the serving certificate is valid for; the first is its common name. */
  readonly dnsNames: readonly string[];
  readonly days: number;
  /** Also issue a client certificate with this common name (for mTLS clients). */
  readonly clientName?: string;
  readonly openssl?: string;
}

export interface IssuedCertificates {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
}

/** The names in-cluster clients use for a Service: name, name.ns, name.ns.svc and the cluster-local FQDN. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9*]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * A private CA and a serving certificate it signs (P-256 keys), made with
 * openssl. Existing files are never overwritten: a new CA would break every
 * caBundle already deployed.
 */
export async function issueCertificates(req: CertificateRequest): Promise<IssuedCertificates> {
  for (const name of req.dnsNames) if (!DNS_NAME.test(name) && name !== 'localhost') throw new AppError('USAGE', `'${name}' is not a DNS name`);
  if (req.dnsNames.length === 0) throw new AppError('USAGE', 'at least one DNS name is needed');
  if (!Number.isInteger(req.days) || req.days < 1 || req.days > 3650) throw new AppError('USAGE', `--days must be 1 to 3650, got ${req.days}`);
  const out: IssuedCertificates = {
    ca: join(req.outDir, 'ca.crt'),
    cert: join(req.outDir, 'tls.crt'),
    key: join(req.outDir, 'tls.key'),
    ...(req.clientName ? { clientCert: join(req.outDir, 'client.crt'), clientKey: join(req.outDir, 'client.key') } : {}),
  };
  await mkdir(req.outDir, { recursive: true });
  for (const file of [out.ca, out.cert, out.key, join(req.outDir, 'ca.key'), out.clientCert, out.clientKey]) {
    if (file && (await exists(file))) throw new AppError('USAGE', `${file} already exists; remove it or choose another --out`);
  }
  const work = await mkdtemp(join(tmpdir(), 'portcullis-certs-'));
  try {
    const openssl = req.openssl ?? 'openssl';
    const caKey = join(req.outDir, 'ca.key');
    await ssl(openssl, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      out.ca,
      '-days',
      String(req.days),
      '-subj',
      '/CN=portcullis CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const sans = req.dnsNames.map((n) => `DNS:${n}`).join(',');
    await leaf(openssl, work, {
      ca: out.ca,
      caKey,
      cert: out.cert,
      key: out.key,
      cn: req.dnsNames[0] as string,
      days: req.days,
      ext: `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
    });
    if (req.clientName && out.clientCert && out.clientKey) {
      await leaf(openssl, work, {
        ca: out.ca,
        caKey,
        cert: out.clientCert,
        key: out.clientKey,
        cn: req.clientName,
        days: req.days,
        ext: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
      });
    }
    for (const key of [caKey, out.key, out.clientKey]) if (key) await chmod(key, 0o600);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Leaf {
  readonly ca: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
  readonly cn: string;
  readonly days: number;
  readonly ext: string;
}

async function leaf(openssl: string, work: string, l: Leaf): Promise<void> {
  const csr = join(work, 'leaf.csr');
  const ext = join(work, 'leaf.ext');
  await writeFile(ext, l.ext);
  await ssl(openssl, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', l.key, '-out', csr, '-subj', `/CN=${l.cn}`]);
  await ssl(openssl, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    l.ca,
    '-CAkey',
    l.caKey,
    '-set_serial',
    `0x${randomSerial()}`,
    '-days',
    String(l.days),
    '-extfile',
    ext,
    '-out',
    l.cert,
  ]);
}

async function ssl(openssl: string, args: readonly string[]): Promise<void> {
  try {
    await run(openssl, [...args], { timeout: 60_000 });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AppError(
      'TOOLCHAIN_FAILED',
      missing ? `${openssl} is not installed; portcullis certs needs openssl` : `openssl ${args[0]} failed: ${messageOf(err)}`,
      { cause: err },
    );
  }
}

function randomSerial(): string {
  // Positive and non-zero: the top bit cleared, the first nibble never 0.
  return `1${randomBytes(15).toString('hex')}`;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
