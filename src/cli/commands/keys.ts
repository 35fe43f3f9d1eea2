import { resolve } from 'node:path';
import { EXIT } from '../../core/index.js';
import { generateKeyMaterial, parseAlgorithm, writeKeyFiles } from '../../sign/index.js';

export interface KeysGenerateOptions {
  readonly alg: string;
  readonly out: string;
  readonly kid?: string;
}

/** Writes a new key pair (or HMAC secret) and prints where, never what. */
export async function keysGenerate(options: KeysGenerateOptions): Promise<number> {
  const algorithm = parseAlgorithm(options.alg, '--alg');
  const files = await writeKeyFiles(resolve(options.out), generateKeyMaterial(algorithm, options.kid));
  const lines = [`key id:      ${files.keyId}`, `algorithm:   ${files.algorithm}`];
  if (files.publicKey === undefined) lines.push(`secret:      ${files.privateKey} (mode 0600)`);
  else lines.push(`private key: ${files.privateKey} (mode 0600)`, `public key:  ${files.publicKey} (mode 0644)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}
