import type { PublishedBundle } from './registry.js';

type Waiter = (bundle: PublishedBundle | undefined) => void;

/**
 * Held long-poll requests, by bundle name. A held request costs one closure
 * and one timer; a publish wakes every waiter of that bundle at once, and
 * `releaseAll` answers them all on shutdown.
 */
export class LongPollWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private held = 0;

  get size(): number {
    return this.held;
  }

  /** Resolves with the new bundle when `name` is published, or undefined after `ms` or on release. */
  wait(name: string, ms: number, signal: AbortSignal): Promise<PublishedBundle | undefined> {
    return new Promise((resolve) => {
      const set = this.waiters.get(name) ?? new Set<Waiter>();
      this.waiters.set(name, set);
      const done: Waiter = (bundle) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (set.delete(done)) this.held--;
        if (set.size === 0 && this.waiters.get(name) === set) this.waiters.delete(name);
        resolve(bundle);
      };
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(done);
      this.held++;
    });
  }

  notify(bundle: PublishedBundle): void {
    for (const done of [...(this.waiters.get(bundle.name) ?? [])]) done(bundle);
  }

  releaseAll(): void {
    for (const set of [...this.waiters.values()]) for (const done of [...set]) done(undefined);
  }
}
