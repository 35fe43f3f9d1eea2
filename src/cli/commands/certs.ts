import { resolve } from 'node:path';
import { AppError, EXIT } from '../../core/index.js';
import { issueCertificates, serviceDnsNames } from '../../gatekeeper/index.js';

export interface CertsCommandOptions {
  readonly out: string;
  readonly service?: string;
  readonly namespace?: string;
  readonly dns?: string[];
  readonly days?: string;
  readonly client?: string;
}

/** Writes ca.crt/ca.key, tls.crt/tls.key (and client.crt/client.key) for the portcullis Service. */
export async function certs(options: CertsCommandOptions): Promise<number> {
  const names = [...(options.service ? serviceDnsNames(options.service, options.namespace ?? 'portcullis') : []), ...(options.dns ?? [])];
  if (names.length === 0) throw new AppError('USAGE', 'name the certificate: --service NAME [--namespace NS] and/or --dns NAME');
  const issued = await issueCertificates({
    outDir: resolve(options.out),
    dnsNames: [...new Set(names)],
    days: options.days === undefined ? 365 : Number(options.days),
    ...(options.client ? { clientName: options.client } : {}),
  });
  for (const [label, file] of Object.entries(issued)) process.stdout.write(`${label.padEnd(10)} ${file}\n`);
  process.stdout.write(`valid for: ${[...new Set(names)].join(', ')}\n`);
  return EXIT.OK;
}
