import { evaluateDecisionText } from '../check/index.js';
import { isAppError, messageOf } from '../core/index.js';
import type { WasmPolicy } from '../evaluate/index.js';
import { summaryOf } from '../gatekeeper/index.js';
import { agedTo, type ClusterMetadata, type NormalizedInput } from '../inputs/index.js';
import type { Enforcement, FindingContent } from '../store/index.js';
import { decisionFindings, findingsHash, ownFinding, unscannedFinding, vulnerabilityFacts, type VulnerabilityFacts } from './findings.js';

/** One evaluation: a digest's latest scan in one namespace context, at one time. */
export interface UnitTask {
  readonly unitId: number;
  readonly digest: string;
  /** The digest's latest scan (its key in the batch's scans), or null when it has none. */
  readonly scanSeq: number | null;
  readonly metadata: ClusterMetadata;
  /** RFC 3339: CVE ages and exception expiry are decided at this time. */
  readonly now: string;
}

export interface UnitOutcome {
  readonly unitId: number;
  readonly decision: 'allow' | 'deny' | 'unscanned';
  readonly summary: string;
  readonly violations: number;
  readonly warnings: number;
  readonly findings: readonly FindingContent[];
  readonly hash: string;
  readonly ms: number;
}

/** How the engine treats what the policy cannot see. */
export interface EvaluationModes {
  /** A running digest without a stored scan (admission.unscanned). */
  readonly unscanned: Enforcement;
}

/**
 * Decides one unit with the served image policy, exactly as `portcullis
 * check --report <scan> --metadata <namespace>` would at `now`: the stored
 * input gets the evaluation time (CVE ages are recounted from publication
 * dates) and the namespace's metadata, and no workloads, since the decision
 * is shared by every container that runs the digest there.
 */
export function evaluateUnit(policy: WasmPolicy, task: UnitTask, modes: EvaluationModes, inputs: ScanInputs, texts: ReadonlyMap<number, string>): UnitOutcome {
  const started = performance.now();
  const done = (o: Omit<UnitOutcome, 'unitId' | 'hash' | 'ms'>): UnitOutcome => ({
    ...o,
    unitId: task.unitId,
    hash: findingsHash(o.findings),
    ms: performance.now() - started,
  });
  const stored = inputs.get(task.scanSeq, texts);
  if (task.scanSeq === null || stored === undefined) return decideUnscanned(task, modes);
  try {
    const scan = inputs.at(task.scanSeq, stored, task.now);
    const decision = evaluateDecisionText(policy, withMetadata(scan.text, task.metadata), new Date(task.now));
    return done({
      decision: decision.decision,
      summary: summaryOf(decision),
      violations: decision.violations.length,
      warnings: decision.warnings.length,
      findings: decisionFindings(decision, stored, scan.facts),
    });
  } catch (err) {
    // Fail closed, visibly: a unit the policy cannot decide is a deny-level finding, not a silent allow.
    const why = isAppError(err) ? err.message : `internal error: ${messageOf(err)}`;
    const finding = evaluationFailed(why);
    return done({ decision: 'deny', summary: finding.message, violations: 1, warnings: 0, findings: [finding] });
  }
}

/** A unit whose digest has no stored scan: decided by the modes alone, with no policy. */
export function decideUnscanned(task: UnitTask, modes: EvaluationModes): UnitOutcome {
  const finding = unscannedFinding(task.digest, modes.unscanned);
  const findings = [finding];
  return {
    unitId: task.unitId,
    decision: 'unscanned',
    summary: finding.message,
    violations: modes.unscanned === 'deny' ? 1 : 0,
    warnings: modes.unscanned === 'warn' ? 1 : 0,
    findings,
    hash: findingsHash(findings),
    ms: 0,
  };
}

/** A scan as of one evaluation time, without metadata: what every namespace context of its digest shares. */
interface ScanAtTime {
  /** The input as JSON text: serialized once per scan and time, not once per unit. */
  readonly text: string;
  readonly facts: VulnerabilityFacts;
}

/**
 * Parsed scan inputs by sequence number, the most recent few: the units of
 * one digest (one per namespace context) come in one batch, so a scan is
 * parsed once, not once per namespace, and serialized for the policy once
 * per evaluation time.
 */
export class ScanInputs {
  private readonly parsed = new Map<number, NormalizedInput>();
  private readonly timed = new Map<string, ScanAtTime>();

  constructor(private readonly capacity = 4) {}

  /** `stored` (the input of scan `seq`) as of `now`, without metadata, with its JSON text. */
  at(seq: number, stored: NormalizedInput, now: string): ScanAtTime {
    const key = `${seq} ${now}`;
    const hit = this.timed.get(key);
    if (hit) return hit;
    // Without metadata, which the unit's text adds, so no key appears twice.
    const { metadata: _metadata, ...shared } = atTime(stored, now, stored.metadata);
    const scan = { text: JSON.stringify(shared), facts: vulnerabilityFacts(stored) };
    this.timed.set(key, scan);
    if (this.timed.size > this.capacity) this.timed.delete(this.timed.keys().next().value as string);
    return scan;
  }

  /** The parsed input for `seq`, parsing `texts` as needed. */
  get(seq: number | null, texts: ReadonlyMap<number, string>): NormalizedInput | undefined {
    if (seq === null) return undefined;
    const hit = this.parsed.get(seq);
    if (hit) return hit;
    const text = texts.get(seq);
    if (text === undefined) return undefined;
    const input = JSON.parse(text) as NormalizedInput;
    this.parsed.set(seq, input);
    if (this.parsed.size > this.capacity) this.parsed.delete(this.parsed.keys().next().value as number);
    return input;
  }
}

/** The stored input as of `now`, in `metadata`'s namespace, without workloads. */
export function atTime(stored: NormalizedInput, now: string, metadata: ClusterMetadata): NormalizedInput {
  return { ...agedTo(stored, new Date(now)).input, now, workloads: [], metadata };
}

/** A unit's input text: its scan's shared text (a non-empty object without metadata) with the namespace's metadata. */
function withMetadata(text: string, metadata: ClusterMetadata): string {
  return `{"metadata":${JSON.stringify(metadata)},${text.slice(1)}`;
}

function evaluationFailed(why: string): FindingContent {
  return ownFinding(
    'evaluation_failed',
    'evaluation_failed',
    'Image policy could not be evaluated',
    `the image policy could not be evaluated for this image: ${why}`,
    'deny',
  );
}
