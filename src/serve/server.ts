import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createApp } from './app.js';
import { BundleRegistry } from './registry.js';

export interface RunningServer {
  readonly url: string;
  readonly registry: BundleRegistry;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Loads the bundle folder, then listens; the folder keeps being watched for rebuilt bundles. */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  await mkdir(config.stateDir, { recursive: true });
  const registry = new BundleRegistry({ dir: config.bundlesDir, limits: config.limits, logger, rescanIntervalMs: config.rescanIntervalMs });
  await registry.refresh();
  registry.start();
  if (registry.states().length === 0) logger.warn({ dir: config.bundlesDir }, 'no bundles to serve yet; run portcullis build');
  const server = createApp({ registry, logger }).listen(config.listen.port, config.listen.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = urlOf(server);
  logger.info({ url, bundles: config.bundlesDir, state: config.stateDir }, 'listening');
  return { url, registry, close: () => close(server, registry) };
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function close(server: Server, registry: BundleRegistry): Promise<void> {
  registry.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
