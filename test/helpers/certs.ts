import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed test CA, `<name>.crt` and `<name>.key` in `dir`, made with the openssl CLI. */
export async function testCa(dir: string, name: string, subject = `/CN=${name}`): Promise<void> {
  await run('openssl', ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subject], { cwd: dir });
}

export interface CertificateOptions {
  /** The CA's file names in `dir` without their endings. */
  readonly ca: string;
  /** An openssl extensions file in `dir` (subjectAltName, extendedKeyUsage). */
  readonly ext: string;
  /** Validity; -1 makes a certificate that expired yesterday. */
  readonly days?: number;
  readonly subject?: string;
}

/** `<name>.crt` and `<name>.key` in `dir`, signed by a CA that testCa made there. */
export async function testCertificate(dir: string, name: string, options: CertificateOptions): Promise<void> {
  await run('openssl', ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', options.subject ?? `/CN=${name}`], { cwd: dir });
  const { ca, ext, days = 2 } = options;
  const sign = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`];
  await run('openssl', [...sign, '-days', String(days), '-extfile', ext], { cwd: dir });
}
