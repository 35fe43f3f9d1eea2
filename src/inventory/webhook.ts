import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { messageOf } from '../core/index.js';
import type { InventoryStore, OutboxItem } from '../store/index.js';
import { Waker } from './waker.js';

export const SIGNATURE_HEADER = 'X-Portcullis-Signature';
export const DELIVERY_HEADER = 'X-Portcullis-Delivery';
export const EVENT_HEADER = 'X-Portcullis-Event';

export interface WebhookSettings {
  readonly url: string;
  /** The HMAC-SHA256 key; the signature is `sha256=<hex>` over the exact body bytes. */
  readonly secret: Uint8Array;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** The first retry waits this long; each next one twice as long, up to an hour. */
  readonly retryBaseMs: number;
}

export interface DelivererDependencies {
  readonly inventory: InventoryStore;
  readonly settings: WebhookSettings;
  readonly owner: string;
  readonly logger: Logger;
  readonly userAgent: string;
  readonly observer?: { delivered?(outcome: 'delivered' | 'retry' | 'dead'): void };
}

const MAX_BACKOFF_MS = 3_600_000;
const LEASE_MS = 60_000;
const POLL_MS = 1000;

/** `sha256=<hex>` of HMAC-SHA256(secret, body): what a receiver recomputes over the raw body it got. */
export function signBody(secret: Uint8Array, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * Delivers the change outbox: every event queued in the store (in the same
 * transaction as the change it reports) is POSTed until a 2xx answers, with
 * exponential backoff, and every attempt is recorded. Claims are leased, so
 * servers sharing a database never send one event at the same time, and a
 * restart resends what was not confirmed: delivery is at least once, the
 * delivery id (header) lets a receiver drop repeats.
 */
export class WebhookDeliverer {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waker = new Waker();

  constructor(private readonly deps: DelivererDependencies) {}

  start(): void {
    this.running = true;
    this.loop = this.work();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.waker.wake();
  }

  private async work(): Promise<void> {
    while (this.running) {
      let sent = 0;
      try {
        const items = await this.deps.inventory.claimOutbox(this.deps.owner, 20, LEASE_MS, new Date());
        for (const item of items) await this.deliver(item);
        sent = items.length;
      } catch (err) {
        this.deps.logger.error({ err }, 'webhook outbox failed; retrying');
      }
      if (sent === 0) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return this.running ? this.waker.sleep(POLL_MS) : Promise.resolve();
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const s = this.deps.settings;
    const attempt = item.attempts + 1;
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(s.url, {
        method: 'POST',
        body: item.body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': this.deps.userAgent,
          [SIGNATURE_HEADER]: signBody(s.secret, item.body),
          [DELIVERY_HEADER]: String(item.id),
          [EVENT_HEADER]: 'findings.changed',
        },
        signal: AbortSignal.timeout(s.timeoutMs),
        redirect: 'manual',
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (status < 200 || status >= 300) error = `answered HTTP ${status}`;
    } catch (err) {
      error = messageOf(err);
    }
    const at = new Date();
    const outcome =
      error === null
        ? ({ kind: 'delivered' } as const)
        : attempt >= s.maxAttempts
          ? ({ kind: 'dead' } as const)
          : ({ kind: 'retry', at: new Date(at.getTime() + Math.min(MAX_BACKOFF_MS, s.retryBaseMs * 2 ** (attempt - 1))) } as const);
    await this.deps.inventory.recordDelivery(this.deps.owner, {
      outboxId: item.id,
      attempt,
      at,
      status,
      error,
      durationMs: performance.now() - started,
      outcome,
    });
    this.deps.observer?.delivered?.(outcome.kind);
    if (outcome.kind === 'dead') this.deps.logger.error({ delivery: item.id, attempts: attempt, err: error }, 'webhook delivery gave up');
    else if (outcome.kind === 'retry')
      this.deps.logger.warn({ delivery: item.id, attempt, err: error, retry_at: outcome.at.toISOString() }, 'webhook delivery failed; will retry');
  }
}
