import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import { AppError, messageOf } from '../core/index.js';
import { loadVerificationKey, parseAlgorithm, readKeyMaterial, type VerificationKey, type VerifyOptions } from '../sign/index.js';
import { createApp } from './app.js';
import { discoveryBundle } from './discovery.js';
import { startFleet } from './fleet-server.js';
import { StoreScanResults } from './scan-results.js';
import { startInventory } from './inventory-server.js';
import { createListener, loadTls } from './listener.js';
import { LongPollWaiters } from './long-poll.js';
import { ServerMetrics } from './metrics.js';
import { withNotModified } from './not-modified.js';
import { BundleRegistry } from './registry.js';

export interface RunningServer {
  readonly url: string;
  readonly registry: BundleRegistry;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } });
}

/** Loads the bundle folder, then listens; the folder keeps being watched for rebuilt bundles. */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  await mkdir(config.stateDir, { recursive: true });
  const tls = await loadTls(config.tls);
  const verification = await verificationFor(config);
  const registry = new BundleRegistry({
    dir: config.bundlesDir,
    limits: config.limits,
    logger,
    rescanIntervalMs: config.rescanIntervalMs,
    deltas: config.deltas,
    ...(verification ? { verification } : {}),
  });
  if (verification) logger.info({ keys: [...verification.keys.keys()], required: verification.required }, 'bundle signatures are verified before publishing');
  await registry.refresh();
  if (config.fleet) await registry.publishGenerated(config.fleet.discovery.bundle, await discoveryBundle(config, config.fleet, logger));
  registry.start();
  if (registry.states().length === 0) logger.warn({ dir: config.bundlesDir }, 'no bundles to serve yet; run portcullis build');
  const waiters = new LongPollWaiters();
  const fleet = await startFleet(config, logger);
  const kubernetes = { config: config.kubernetes, scans: new StoreScanResults(fleet.deps.store) };
  const metrics = new ServerMetrics(registry, waiters);
  const inventory = await startInventory(config, fleet.deps.store, registry, metrics, logger);
  const app = createApp({ registry, logger, waiters, metrics, fleet: fleet.deps, kubernetes, inventory });
  const koa = app.callback();
  const handler = withNotModified((req, res) => void koa(req, res), { registry, metrics, ...(fleet.deps.authRequired ? { tokens: fleet.deps.store } : {}) });
  // Koa's handler settles its own errors; the listener only needs it started.
  const server = createListener((req, res) => void handler(req, res), tls).listen(config.listen.port, config.listen.host);
  try {
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  } catch (err) {
    // Nothing may keep the process alive after a failed start: the folder watcher and the store go too.
    registry.stop();
    await inventory.close();
    await fleet.close();
    throw new AppError('LISTEN_FAILED', `cannot listen on ${config.listen.host}:${config.listen.port}: ${messageOf(err)}`, { cause: err });
  }
  const url = urlOf(server, config.tls ? 'https' : 'http');
  logger.info({ url, bundles: config.bundlesDir, state: config.stateDir }, 'listening');
  return {
    url,
    registry,
    close: () =>
      close(server, registry, waiters)
        .then(() => inventory.close())
        .then(() => fleet.close()),
  };
}

/** Loads the configured keys once, at start; key errors name the key id and file, never the material. */
async function verificationFor(config: Config): Promise<VerifyOptions | undefined> {
  if (config.keys.size === 0) return undefined;
  const keys = new Map<string, VerificationKey>();
  for (const [id, k] of config.keys) {
    const algorithm = parseAlgorithm(k.algorithm, `keys.${id}.algorithm`);
    const material = await readKeyMaterial(k.source, algorithm, config.keyEnv);
    const key = loadVerificationKey(material, algorithm, `keys.${id}`);
    keys.set(id, { algorithm, key, ...(k.scope === undefined ? {} : { scope: k.scope }) });
  }
  const s = config.signing;
  return {
    keys,
    required: s.required,
    excludeFiles: s.excludeFiles,
    ...(s.keyid === undefined ? {} : { keyId: s.keyid }),
    ...(s.scope === undefined ? {} : { scope: s.scope }),
  };
}

function urlOf(server: Server, scheme: 'http' | 'https'): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/** Stops accepting, answers held long polls with 304 so agents re-poll elsewhere, then drains. */
async function close(server: Server, registry: BundleRegistry, waiters: LongPollWaiters): Promise<void> {
  registry.stop();
  waiters.releaseAll();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
