import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import { wrapError } from '../core/index.js';
import { loadVerificationKey, parseAlgorithm, readKeyMaterial, type VerificationKey, type VerifyOptions } from '../sign/index.js';
import { createApp, createEvaluator } from './app.js';
import { discoveryBundle } from './discovery.js';
import { startFleet } from './fleet-server.js';
import { StoreScanResults } from './scan-results.js';
import { startInventory } from './inventory-server.js';
import { createListener, loadTls } from './listener.js';
import { LongPollWaiters } from './long-poll.js';
import { ServerMetrics } from './metrics.js';
import { withNotModified } from './not-modified.js';
import { BundleRegistry } from './registry.js';
import { OciBundleSource } from './oci-source.js';
import { syncBundles } from './replicas.js';
import { openChangeFeed } from '../store/index.js';

export interface ServerOptions {
  /** Sent to registries by an OCI bundle source. */
  readonly userAgent?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly registry: BundleRegistry;
  close(): Promise<void>;
}

/**
 * JSON lines on stdout, written asynchronously: every admission decision is
 * logged, and a synchronous write to a pipe whose reader lags (a busy log
 * collector) held the event loop for hundreds of milliseconds at 200
 * reviews/s. Buffered lines are flushed as the process exits.
 */
export function createLogger(level: string): Logger {
  return pino(
    { level, base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ sync: false }),
  );
}

/**
 * Builds every resource (store and change feed, evaluation workers, the
 * bundle registry and its source with their first scan, the inventory, the
 * app, the listener), then starts watching the bundle source. Whatever fails along
 * the way, everything built so far is closed again through the one cleanup
 * list, so a failed start exits instead of hanging on a watcher, a timer or a
 * database pool; close() runs the same list.
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel), options: ServerOptions = {}): Promise<RunningServer> {
  const cleanup: Array<() => unknown> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of cleanup.splice(0).reverse()) await close();
  };
  try {
    await mkdir(config.stateDir, { recursive: true });
    const tls = await loadTls(config.tls);
    const verification = await verificationFor(config);
    const fleet = await startFleet(config, logger);
    cleanup.push(() => fleet.close());
    // Replicas sharing one PostgreSQL hear of each other's bundle publishes and scan uploads.
    const feed = await openChangeFeed(config.store, logger);
    if (feed) cleanup.push(() => feed.close());
    const limits = { bundle: config.limits, evaluation: config.evaluation, requests: config.requests };
    const evaluator = createEvaluator(limits);
    cleanup.push(() => evaluator.close());
    const registry = new BundleRegistry({
      ...(config.ociSource ? {} : { dir: config.bundlesDir }),
      limits: config.limits,
      evaluation: config.evaluation,
      logger,
      rescanIntervalMs: config.rescanIntervalMs,
      deltas: config.deltas,
      ...(verification ? { verification } : {}),
    });
    cleanup.push(() => registry.stop());
    if (verification) logger.info({ keys: [...verification.keys.keys()], required: verification.required }, 'bundle signatures are verified before publishing');
    const source = config.ociSource
      ? await OciBundleSource.create({
          config: config.ociSource,
          registry,
          logger,
          maxBytes: config.limits.maxArchiveBytes,
          userAgent: options.userAgent ?? 'portcullis',
        })
      : undefined;
    if (source) cleanup.push(() => source.stop());
    // The first poll finishes before the server listens, so agents are not answered 404 while it runs.
    await (source ? source.refresh() : registry.refresh());
    if (config.fleet) await registry.publishGenerated(config.fleet.discovery.bundle, await discoveryBundle(config, config.fleet, logger));
    const origin = source ? source.description : config.bundlesDir;
    if (registry.states().length === 0)
      logger.warn({ source: origin }, source ? 'no bundles to serve yet; push them to the repository' : 'no bundles to serve yet; run portcullis build');
    if (feed) {
      const generated = config.fleet ? [config.fleet.discovery.bundle] : [];
      cleanup.push(syncBundles(registry, feed, { generated, logger, ...(source ? { refresh: () => source.refresh() } : {}) }));
    }
    const waiters = new LongPollWaiters();
    const scans = new StoreScanResults(fleet.deps.store, feed && { feed, logger });
    const kubernetes = { config: config.kubernetes, scans };
    const metrics = new ServerMetrics(registry, waiters);
    const store = fleet.deps.store;
    const inventory = await startInventory(config, { store, registry, metrics, logger, scans, ...(feed ? { feed } : {}) });
    cleanup.push(() => inventory.close());
    const ui = { enabled: config.ui.enabled, loginExpiryMs: config.ui.loginExpiryMs, secure: config.tls !== undefined };
    const app = createApp({ registry, logger, waiters, metrics, fleet: fleet.deps, kubernetes, inventory, limits, evaluator, ui });
    const koa = app.callback();
    const handler = withNotModified((req, res) => void koa(req, res), { registry, metrics, ...(fleet.deps.authRequired ? { tokens: fleet.deps.store } : {}) });
    // Koa's handler settles its own errors; the listener only needs it started.
    const server = createListener((req, res) => void handler(req, res), tls, config.timeouts);
    await listen(server, config.listen);
    cleanup.push(() => close(server, waiters));
    registry.start();
    source?.start();
    const url = urlOf(server, config.tls ? 'https' : 'http');
    logger.info({ url, bundles: origin, state: config.stateDir }, 'listening');
    return { url, registry, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Listens, or says why not; a port in use gets a hint for a free one. */
async function listen(server: Server, { host, port }: Config['listen']): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject).listen(port, host));
  } catch (err) {
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const hint = inUse ? `; another process holds the port: stop it, choose another, or use --listen ${host}:0 for a free one` : '';
    throw wrapError(err, 'LISTEN_FAILED', `cannot listen on ${host}:${port}${hint}`);
  }
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
async function close(server: Server, waiters: LongPollWaiters): Promise<void> {
  waiters.releaseAll();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
