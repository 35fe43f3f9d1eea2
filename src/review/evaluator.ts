import { loadBundle } from '../bundle/index.js';
import { messageOf, type JsonValue } from '../core/index.js';
import { WasmPolicy, type PreparedInput } from '../evaluate/index.js';
import { compareOutcomes, pairKey, type ReplayPart } from './compare.js';
import type { CaseChange, Outcome, ReplayCase } from './model.js';
import { toOutcome } from './outcome.js';

/** What every replayer (in-process or a worker) needs: both bundles' archives and how to evaluate them. */
export interface ReplaySetup {
  readonly base: Uint8Array;
  readonly head: Uint8Array;
  readonly entrypoint: string;
  /** Evaluation time for inputs that carry no `now` of their own (RFC 3339). */
  readonly now: string;
}

/** Both versions loaded and ready; one per thread, since a WasmPolicy evaluates one input at a time. */
export interface PolicyPair {
  readonly base: WasmPolicy;
  readonly head: WasmPolicy;
  readonly setup: ReplaySetup;
}

export async function loadPair(setup: ReplaySetup): Promise<PolicyPair> {
  const base = await WasmPolicy.fromBundle(loadBundle(setup.base));
  // A change that leaves the bundle byte for byte the same (tests, docs) needs one evaluation per input, not two.
  const head = Buffer.from(setup.base).equals(setup.head) ? base : await WasmPolicy.fromBundle(loadBundle(setup.head));
  return { base, head, setup };
}

/** Replays cases through both versions and keeps only what differs. */
export function replayCases(pair: PolicyPair, cases: readonly ReplayCase[]): ReplayPart {
  const changes: CaseChange[] = [];
  const pairs: Record<string, number> = {};
  for (const c of cases) {
    // Case inputs are JSON text this module's callers wrote, so parsing cannot fail.
    const parsed = JSON.parse(c.input) as JsonValue;
    const input = withoutGivenEntries(c.event ? ((parsed as Record<string, JsonValue>)['input'] as JsonValue) : parsed);
    const now = evaluationTime(input, pair.setup.now);
    // Serialized once for both versions; an input either refuses is an error outcome of each, as an evaluation's would be.
    const given = pair.head === pair.base ? input : prepared(pair.base, input);
    const base = outcomeOf(pair.base, pair.setup.entrypoint, given, now);
    const head = pair.head === pair.base ? base : outcomeOf(pair.head, pair.setup.entrypoint, given, now);
    const key = pairKey(base.verdict, head.verdict);
    pairs[key] = (pairs[key] ?? 0) + 1;
    const change = compareOutcomes(c, input, base, head);
    if (change) changes.push(change);
  }
  return { changes, pairs };
}

/**
 * A recorded input may carry the report entries its decider evaluated with
 * the policy of the day (input.report_entries, which the library's decision
 * takes as given): replayed without them, so each version evaluates its own
 * and a change to the rules behind them shows.
 */
function withoutGivenEntries(input: JsonValue): JsonValue {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !('report_entries' in input)) return input;
  const copy: Record<string, JsonValue> = { ...input };
  delete copy['report_entries'];
  return copy;
}

function prepared(policy: WasmPolicy, input: JsonValue): JsonValue | PreparedInput {
  try {
    return policy.prepare(input);
  } catch {
    return input;
  }
}

function outcomeOf(policy: WasmPolicy, entrypoint: string, input: JsonValue | PreparedInput, now: Date): Outcome {
  try {
    return toOutcome(policy.evaluate(entrypoint, input, { now }));
  } catch (err) {
    return { verdict: 'error', findings: [], error: messageOf(err) };
  }
}

/** A recorded input is replayed at the time it was recorded (its `now`), so CVE ages and expiries match the log. */
function evaluationTime(input: JsonValue, fallback: string): Date {
  const recorded = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>)['now'] : undefined;
  const date = new Date(typeof recorded === 'string' ? recorded : fallback);
  return Number.isNaN(date.getTime()) ? new Date(fallback) : date;
}
