/**
 * Recent admission decisions (what a review takes from them) per loaded
 * policy. Evaluating one image costs a millisecond or more of a worker, more
 * for the first review of a scan in a namespace; the Pods of one ReplicaSet,
 * a rollout or a retried request repeat the same question. An entry is keyed on everything
 * the policy sees except the clock, and lives `ttlMs`, so an expiring
 * exception takes effect at most that late. A new bundle revision is a new
 * policy object and starts empty.
 */
export class DecisionCache<T> {
  private readonly byPolicy = new WeakMap<object, Map<string, { decision: T; at: number }>>();
  /** Decisions being made: the Pods of a ReplicaSet are often reviewed at once, and all but the first wait for its answer. */
  private readonly inFlight = new WeakMap<object, Map<string, Promise<T>>>();

  constructor(
    private readonly maxEntries = 5000,
    private readonly ttlMs = 30_000,
  ) {}

  get(policy: object, key: string, now: number): T | undefined {
    const entries = this.byPolicy.get(policy);
    const hit = entries?.get(key);
    if (!hit) return undefined;
    if (now - hit.at > this.ttlMs) {
      entries?.delete(key);
      return undefined;
    }
    return hit.decision;
  }

  /** The cached decision, else the one being made for the same question, else the one `decide` makes (kept for the next). */
  async through(policy: object, key: string, now: number, decide: () => Promise<T>): Promise<T> {
    const hit = this.get(policy, key, now);
    if (hit) return hit;
    let pending = this.inFlight.get(policy);
    if (!pending) {
      pending = new Map();
      this.inFlight.set(policy, pending);
    }
    const running = pending.get(key);
    if (running) return running;
    const made = decide();
    pending.set(key, made);
    try {
      const decision = await made;
      this.set(policy, key, decision, now);
      return decision;
    } finally {
      pending.delete(key);
    }
  }

  set(policy: object, key: string, decision: T, now: number): void {
    let entries = this.byPolicy.get(policy);
    if (!entries) {
      entries = new Map();
      this.byPolicy.set(policy, entries);
    }
    // Maps keep insertion order: the first key is the oldest.
    if (entries.size >= this.maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(key, { decision, at: now });
  }
}
