import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { messageOf, sha256Hex } from '../core/index.js';
import { assertBundlesDisjoint, deltaBundle, loadBundle, type BundleRevision, type BundleState, type LoadedBundle, type ReadLimits } from '../bundle/index.js';
import { assertWasmLoads, type EvaluationLimits } from '../evaluate/index.js';
import { isSignaturesFile, verifyFiles, type VerifyOptions } from '../sign/index.js';

const SUFFIX = '.tar.gz';

/** A bundle as served: exact bytes, validated before they became visible. */
export interface PublishedBundle {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly revision: string;
  readonly roots: readonly string[];
  /** The Wasm entrypoints the manifest declares. */
  readonly entrypoints: readonly string[];
  /** The key id the signature was verified with; absent when the server verifies no signatures. */
  readonly keyid?: string;
  /** Whether the archive carries a .signatures.json (verified or not). */
  readonly signed: boolean;
  readonly publishedAt: Date;
  /** A data-only patch from the previous revision (the agent's If-None-Match) to this one. */
  readonly delta?: { readonly baseEtag: string; readonly bytes: Uint8Array };
}

const HISTORY_LENGTH = 20;

export interface RegistryOptions {
  /** The folder to scan; absent when another source (an OCI repository) offers the bundles. */
  readonly dir?: string;
  readonly limits: ReadLimits;
  /** The heap and input limits the server evaluates with: a bundle whose module and data do not load under them is refused. */
  readonly evaluation?: EvaluationLimits;
  readonly logger: Logger;
  readonly rescanIntervalMs: number;
  /** When set, a bundle is published only if its signature verifies against these keys and rules. */
  readonly verification?: VerifyOptions;
  /** Prepare delta bundles for data-only changes (OPA never verifies signatures of deltas). */
  readonly deltas?: boolean;
}

/**
 * Serves the bundles found in a folder. A file is published only after it
 * has been read whole and validated, its Wasm module instantiated with its
 * data included; a file that fails keeps the last good revision in service
 * and records why. Emits 'published' with the bundle, and 'withdrawn' with
 * the name of a bundle whose file was removed.
 */
export class BundleRegistry extends EventEmitter<{ published: [PublishedBundle]; withdrawn: [string] }> {
  private readonly bundles = new Map<string, PublishedBundle>();
  private readonly errors = new Map<string, { message: string; at: Date }>();
  private readonly history = new Map<string, BundleRevision[]>();
  private readonly seen = new Map<string, string>();
  /** Bundles the server makes itself (discovery): not backed by a file, never withdrawn by a scan. */
  private readonly generated = new Set<string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: RegistryOptions) {
    super();
  }

  get(name: string): PublishedBundle | undefined {
    return this.bundles.get(name);
  }

  states(): BundleState[] {
    const names = new Set([...this.bundles.keys(), ...this.errors.keys()]);
    return [...names].sort().map((name) => {
      const b = this.bundles.get(name);
      const e = this.errors.get(name);
      return {
        name,
        ...(b
          ? {
              revision: b.revision,
              etag: b.etag,
              size: b.bytes.byteLength,
              publishedAt: b.publishedAt.toISOString(),
              roots: b.roots,
              entrypoints: b.entrypoints,
              signed: b.signed,
              ...(b.keyid === undefined ? {} : { keyid: b.keyid }),
              history: this.history.get(name) ?? [],
            }
          : {}),
        ...(e ? { lastError: e.message, lastErrorAt: e.at.toISOString() } : {}),
      };
    });
  }

  /** Rescans now; concurrent calls coalesce into one more pass. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.scanUntilQuiet().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): void {
    if (this.options.dir === undefined) return;
    const dir = this.options.dir;
    this.timer = setInterval(() => void this.refresh(), this.options.rescanIntervalMs);
    this.timer.unref();
    try {
      this.watcher = watch(dir, () => void this.refresh());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.options.logger.warn({ dir }, 'bundle folder cannot be watched yet; rescanning periodically');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }

  /** Publishes a bundle the server built itself, through the same checks as a file; failures are thrown. */
  async publishGenerated(name: string, bytes: Uint8Array): Promise<void> {
    this.generated.add(name);
    await this.publish(name, bytes);
  }

  private async scanUntilQuiet(): Promise<void> {
    do {
      this.again = false;
      await this.scan();
    } while (this.again);
  }

  /**
   * Publishes bundle bytes another source fetched (an OCI repository),
   * through the same checks as a file: a bundle that fails keeps the last
   * good revision in service and records why. True when the bytes are served.
   */
  async offer(name: string, bytes: Uint8Array, origin: string): Promise<boolean> {
    return this.publishOrRecord(name, bytes, { origin });
  }

  /** Records that a source could not fetch a bundle; the last good revision stays in service. */
  recordError(name: string, message: string): void {
    this.errors.set(name, { message, at: new Date() });
  }

  /** The source reached the bundle again and it is unchanged: the recorded failure is over. */
  clearError(name: string): void {
    this.errors.delete(name);
  }

  private async scan(): Promise<void> {
    if (this.options.dir === undefined) return;
    const dir = this.options.dir;
    const names = await this.list(dir);
    // Only a missing folder means "no bundles"; any other failure keeps what is served.
    if (names === undefined) return;
    const present = new Set<string>();
    for (const file of names.filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.')).sort()) {
      const name = file.slice(0, -SUFFIX.length);
      if (this.generated.has(name)) continue;
      present.add(name);
      await this.consider(name, join(dir, file));
    }
    for (const name of [...this.bundles.keys()].filter((n) => !present.has(n) && !this.generated.has(n))) {
      this.bundles.delete(name);
      this.seen.delete(name);
      this.options.logger.info({ bundle: name }, 'bundle file removed; bundle withdrawn');
      this.emit('withdrawn', name);
    }
  }

  /** The folder's entries; [] when it does not exist; undefined (and an error logged) when it cannot be read. */
  private async list(dir: string): Promise<string[] | undefined> {
    try {
      return await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.options.logger.error({ dir, err }, 'bundle folder cannot be listed; the bundles published so far stay in service');
      return undefined;
    }
  }

  private async consider(name: string, path: string): Promise<void> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return;
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.seen.get(name) === identity) return;
    this.seen.set(name, identity);
    const bytes = await readFile(path).catch((err: unknown) => err);
    if (bytes instanceof Buffer) await this.publishOrRecord(name, new Uint8Array(bytes), { file: path });
    else this.reject(name, bytes, { file: path });
  }

  private async publishOrRecord(name: string, bytes: Uint8Array, where: Readonly<Record<string, string>>): Promise<boolean> {
    try {
      await this.publish(name, bytes);
      return true;
    } catch (err) {
      this.reject(name, err, where);
      return false;
    }
  }

  private reject(name: string, err: unknown, where: Readonly<Record<string, string>>): void {
    this.errors.set(name, { message: messageOf(err), at: new Date() });
    const current = this.bundles.get(name)?.revision;
    this.options.logger.error({ bundle: name, ...where, err, serving: current ?? null }, 'bundle rejected; last good revision stays in service');
  }

  private deltaFrom(previous: PublishedBundle | undefined, next: LoadedBundle): PublishedBundle['delta'] {
    if (!this.options.deltas || !previous) return undefined;
    const bytes = deltaBundle(loadBundle(previous.bytes, this.options.limits), next);
    return bytes ? { baseEtag: previous.etag, bytes } : undefined;
  }

  private async publish(name: string, bytes: Uint8Array): Promise<void> {
    const etag = `"${sha256Hex(bytes)}"`;
    if (this.bundles.get(name)?.etag === etag) {
      // The bytes in service were offered again: whatever failed before is over.
      this.errors.delete(name);
      return;
    }
    const loaded = loadBundle(bytes, this.options.limits);
    // Verified before anything else can see it: agents must never be offered a bundle they would refuse.
    const signature = this.options.verification ? await verifyFiles(loaded.files, this.options.verification) : undefined;
    // A module that does not instantiate would make every evaluation fail (and the webhook deny every Pod).
    await assertWasmLoads(loaded, this.options.evaluation);
    const others = [...this.bundles.values()].filter((b) => b.name !== name).map((b) => ({ name: b.name, roots: b.roots }));
    assertBundlesDisjoint([...others, { name, roots: loaded.manifest.roots }]);
    const delta = this.deltaFrom(this.bundles.get(name), loaded);
    const bundle: PublishedBundle = {
      name,
      bytes,
      etag,
      revision: loaded.manifest.revision,
      roots: loaded.manifest.roots,
      entrypoints: (loaded.manifest.wasm ?? []).map((w) => w.entrypoint),
      signed: loaded.files.some((f) => isSignaturesFile(f.path)),
      ...(signature?.keyId === undefined ? {} : { keyid: signature.keyId }),
      publishedAt: new Date(),
      ...(delta ? { delta } : {}),
    };
    this.bundles.set(name, bundle);
    const served = { revision: bundle.revision, etag, size: bytes.byteLength, publishedAt: bundle.publishedAt.toISOString() };
    this.history.set(name, [served, ...(this.history.get(name) ?? [])].slice(0, HISTORY_LENGTH));
    this.errors.delete(name);
    const signed = signature?.signed ? { keyid: signature.keyId } : {};
    this.options.logger.info({ bundle: name, revision: bundle.revision, etag, size: bytes.byteLength, ...signed }, 'bundle published');
    this.emit('published', bundle);
  }
}
