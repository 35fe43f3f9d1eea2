import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { messageOf } from '../core/index.js';
import type { ChangeFeed, ChangeTopic } from './changes.js';

const TOPICS: readonly ChangeTopic[] = ['bundles', 'scans', 'inventory'];
const channelOf = (topic: ChangeTopic) => `portcullis_${topic}`;
/** How the feed's connection shows in pg_stat_activity. */
export const FEED_APPLICATION = 'portcullis change feed';
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/**
 * LISTEN/NOTIFY on one dedicated connection per process. Notices carry the
 * sender's id so a process skips its own. When the connection drops it is
 * reopened with backoff, and resync listeners run once it listens again,
 * since PostgreSQL does not keep notices for absent listeners.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly origin = randomUUID();
  private readonly listeners = new Map<ChangeTopic, ((payload: string) => void)[]>();
  private readonly resyncs: (() => void)[] = [];
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  static async open(url: string, logger: Logger): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, logger);
    await feed.connect();
    return feed;
  }

  async notify(topic: ChangeTopic, payload: string): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('the change feed is reconnecting');
    await client.query('SELECT pg_notify($1, $2)', [channelOf(topic), JSON.stringify({ origin: this.origin, payload })]);
  }

  on(topic: ChangeTopic, listener: (payload: string) => void): void {
    this.listeners.set(topic, [...(this.listeners.get(topic) ?? []), listener]);
  }

  onResync(listener: () => void): void {
    this.resyncs.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: FEED_APPLICATION });
    client.on('notification', (n) => this.deliver(n));
    // A dropped connection is reported here (and by 'end'); both cause one reconnect.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    await client.connect();
    try {
      for (const topic of TOPICS) await client.query(`LISTEN ${channelOf(topic)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
  }

  private deliver(n: pg.Notification): void {
    const topic = TOPICS.find((t) => channelOf(t) === n.channel);
    let notice: { origin?: unknown; payload?: unknown };
    try {
      notice = JSON.parse(n.payload ?? '') as typeof notice;
    } catch {
      return;
    }
    if (!topic || notice.origin === this.origin || typeof notice.payload !== 'string') return;
    for (const listener of this.listeners.get(topic) ?? []) listener(notice.payload);
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.logger.warn({ err: err === undefined ? 'connection ended' : messageOf(err) }, 'change feed lost its database connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.reconnect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async reconnect(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'change feed cannot reconnect yet');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await this.close();
      return;
    }
    this.logger.info('change feed reconnected; resynchronising');
    for (const resync of this.resyncs) resync();
  }
}
