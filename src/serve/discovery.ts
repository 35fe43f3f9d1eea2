import { createPublicKey } from 'node:crypto';
import type { Logger } from 'pino';
import { assembleBundle, writeTarGz } from '../bundle/index.js';
import type { Config, FleetConfig } from '../config/index.js';
import { discoveryParts, type TrustedKey } from '../fleet/index.js';
import { isHmac, loadSigningKey, parseAlgorithm, readKeyMaterial, signFiles } from '../sign/index.js';

/**
 * Builds the discovery bundle from the fleet definition: the trusted public
 * keys go to every agent (HMAC secrets never do), and the bundle is signed
 * when a discovery signing key is configured, since it carries those keys.
 */
export async function discoveryBundle(config: Config, fleet: FleetConfig, logger: Logger): Promise<Uint8Array> {
  const parts = discoveryParts(fleet, await trustedKeys(config, logger), config.limits.maxFileBytes);
  const files = assembleBundle(parts);
  const signing = fleet.discovery.signing;
  if (!signing) return writeTarGz(files);
  const algorithm = parseAlgorithm(signing.algorithm, 'fleet.discovery.signing.algorithm');
  const material = await readKeyMaterial({ file: signing.key }, algorithm, {}, 'fleet.discovery.signing.key');
  const key = loadSigningKey(material, algorithm, 'fleet.discovery.signing.key');
  const signed = await signFiles(files, { algorithm, key, keyId: signing.keyid, ...(signing.scope === undefined ? {} : { scope: signing.scope }) });
  return writeTarGz(signed);
}

async function trustedKeys(config: Config, logger: Logger): Promise<Record<string, TrustedKey>> {
  const out: Record<string, TrustedKey> = {};
  for (const [id, k] of config.keys) {
    const algorithm = parseAlgorithm(k.algorithm, `keys.${id}.algorithm`);
    if (isHmac(algorithm) || !('file' in k.source)) {
      logger.warn({ keyid: id }, 'HMAC keys are not distributed through discovery; configure them on the agents');
      continue;
    }
    const material = await readKeyMaterial(k.source, algorithm, config.keyEnv, `keys.${id}`);
    // Only the public half leaves the server, even when a private key file was configured for verification.
    const pem = createPublicKey(Buffer.from(material)).export({ type: 'spki', format: 'pem' }).toString();
    out[id] = { algorithm, key: pem, ...(k.scope === undefined ? {} : { scope: k.scope }) };
  }
  return out;
}
