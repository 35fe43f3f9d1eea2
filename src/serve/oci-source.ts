import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { OciSourceConfig } from '../config/index.js';
import { AppError, messageOf } from '../core/index.js';
import { credentialLookup, formatReference, parseReference, pullBundle, RegistryClient, type Reference } from '../oci/index.js';
import type { BundleRegistry } from './registry.js';

export interface OciSourceOptions {
  readonly config: OciSourceConfig;
  readonly registry: BundleRegistry;
  readonly logger: Logger;
  /** Largest bundle accepted (limits.max_bundle_bytes). */
  readonly maxBytes: number;
  readonly userAgent: string;
}

/**
 * Takes the served bundles from an OCI repository, one tag per bundle: each
 * poll resolves every tag with a HEAD (what OPA agents do), and only a new
 * manifest digest leads to a fetch, and only a new layer digest to a
 * download. What arrives is offered to the registry, which validates and
 * verifies it like a file from the folder; the ETag is the layer's SHA-256,
 * so every replica polling the same repository serves the same bytes under
 * the same ETag. A failure keeps the last good revision in service.
 */
export class OciBundleSource {
  private readonly client: RegistryClient;
  private readonly repository: Reference;
  /** Manifest digest last handled per bundle, so an unchanged tag costs one HEAD. */
  private readonly handled = new Map<string, string>();
  private readonly lastError = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly options: OciSourceOptions,
    ca: Uint8Array | undefined,
  ) {
    const c = options.config;
    this.repository = parseReference(c.repository, 'bundles.source');
    if (this.repository.tag !== undefined || this.repository.digest !== undefined) {
      throw new AppError(
        'CONFIG_INVALID',
        `bundles.source oci://${c.repository} names a tag or digest; give oci://host/repository and the tags in bundles.oci.tags`,
      );
    }
    const credentials = credentialLookup({
      env: c.env,
      ...(c.username === undefined ? {} : { username: c.username }),
      ...(c.password === undefined ? {} : { password: c.password }),
      ...(c.token === undefined ? {} : { registryToken: c.token }),
      ...(c.dockerConfig === undefined ? {} : { dockerConfig: c.dockerConfig }),
    });
    this.client = new RegistryClient(this.repository.registry, { credentials, userAgent: options.userAgent, insecure: c.insecure, ...(ca ? { ca } : {}) });
  }

  static async create(options: OciSourceOptions): Promise<OciBundleSource> {
    const ca = options.config.ca === undefined ? undefined : await readCa(options.config.ca);
    return new OciBundleSource(options, ca);
  }

  /** Where the bundles come from, for logs. */
  get description(): string {
    return `oci://${formatReference(this.repository)}`;
  }

  /** Polls every tag now; a call during a poll waits for it instead of starting another. */
  refresh(): Promise<void> {
    this.running ??= this.pollAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.options.config.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    this.client.close();
  }

  private async pollAll(): Promise<void> {
    for (const [name, tag] of this.options.config.tags) await this.poll(name, tag);
  }

  private async poll(name: string, tag: string): Promise<void> {
    const { registry, logger } = this.options;
    const where = `${this.description}:${tag}`;
    try {
      const head = await this.client.resolveManifest(this.repository.repository, tag);
      if (!head) throw new AppError('REGISTRY_NOT_FOUND', `registry ${this.repository.registry}: resolving ${this.repository.repository}:${tag}: no such tag`);
      if (this.handled.get(name) === head.digest) return this.succeeded(name);
      const current = registry.get(name);
      const pulled = await pullBundle(
        this.client,
        { ...this.repository, digest: head.digest },
        { maxBytes: this.options.maxBytes, ...(current ? { knownLayer: `sha256:${current.etag.slice(1, -1)}` } : {}) },
      );
      // A bundle the registry refuses is remembered too: it is fetched again only once the tag moves.
      if (pulled.bytes) await registry.offer(name, pulled.bytes, `${where}@${pulled.layer.digest}`);
      else this.succeeded(name);
      this.handled.set(name, head.digest);
      this.lastError.delete(name);
    } catch (err) {
      const message = messageOf(err);
      registry.recordError(name, message);
      // One log line per new problem, not one per poll while a registry is down.
      if (this.lastError.get(name) !== message)
        logger.error({ bundle: name, source: where, err: message }, 'bundle source failed; last good revision stays in service');
      this.lastError.set(name, message);
    }
  }

  private succeeded(name: string): void {
    if (this.lastError.delete(name)) this.options.registry.clearError(name);
  }
}

async function readCa(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `bundles.oci.ca ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}
