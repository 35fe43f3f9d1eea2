import { evaluateDecision, messagesOf, type DecisionMessages, type DecisionPolicy } from '../check/index.js';
import { isAppError } from '../core/index.js';
import {
  agedTo,
  DEFAULT_INPUT_LIMITS,
  normalize,
  parseImageRef,
  parseManifest,
  type AgedInput,
  type ClusterMetadata,
  type NormalizedInput,
  type Workload,
} from '../inputs/index.js';
import { admissionRequestOf, admissionResponse, type AdmissionRequestFacts, type AdmissionVerdict } from './admission-review.js';
import type { DecisionCache } from './decision-cache.js';
import type { ScanResults, StoredScan } from './scans.js';

export interface AdmissionOptions {
  /** What happens to an image with no stored scan result. */
  readonly unscanned: 'deny' | 'warn';
  /** Fail (closed, the default): deny when the policy cannot be evaluated. Ignore (open): admit with a warning. */
  readonly failurePolicy: 'Fail' | 'Ignore';
  /** Namespace label whose value is the environment the policy's profiles match (e.g. prod). */
  readonly environmentLabel: string;
}

export const DEFAULT_ADMISSION_OPTIONS: AdmissionOptions = { unscanned: 'deny', failurePolicy: 'Fail', environmentLabel: 'portcullis.dev/environment' };

/** AdmissionRequests carry no namespace labels; the server looks them up here. */
export type NamespaceLabels = (namespace: string | null) => Promise<Readonly<Record<string, string>>>;

export interface AdmissionRecord {
  readonly uid: string;
  readonly subject: string;
  readonly allowed: boolean;
  readonly reasons: readonly string[];
}

export interface AdmissionDependencies {
  readonly scans: ScanResults;
  /** The served image policy (portcullis/scan/decision); throws when none is published. */
  readonly policy: () => Promise<DecisionPolicy>;
  readonly namespaceLabels: NamespaceLabels;
  readonly options: AdmissionOptions;
  readonly now?: () => Date;
  /** Told of every decision except dry runs, which must leave no trace. */
  readonly onDecision?: (record: AdmissionRecord) => void;
  readonly onError?: (err: unknown) => void;
  /** Reuses recent decisions for identical questions; absent, every image is evaluated. */
  readonly cache?: DecisionCache<ImageVerdict>;
  /** The namespace's full metadata (environment, cluster), when the server keeps an inventory; else namespaceLabels is used. */
  readonly metadata?: (namespace: string | null) => Promise<ClusterMetadata>;
  /**
   * The verdict on one image's input, given as the JSON text of its stored
   * scan's part and of the review's own fields (SplitInput), as of `now`:
   * the server runs the images of a review in parallel on its evaluation
   * workers. Absent, `policy` evaluates each image here, one after another.
   */
  readonly decide?: (input: SplitInput, now: Date) => Promise<ImageVerdict>;
}

/**
 * What a review takes from one image's decision: the messages of its
 * violations, and those of its warnings and expired exceptions. Workers send
 * this back and the decision cache keeps it, rather than the decision, whose
 * findings (tens of KiB for a report with hundreds of vulnerabilities) a
 * review does not otherwise read.
 */
export interface ImageVerdict {
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
}

export function imageVerdictOf(messages: DecisionMessages): ImageVerdict {
  return {
    reasons: messages.reasons,
    warnings: [
      ...messages.warnings,
      ...messages.expired_exceptions.map((e) => `exception for ${e.rule}${e.image ? ` on ${e.image}` : ''} expired on ${e.expires} and no longer applies`),
    ],
  };
}

/**
 * An image's input `{...shared, ...own}` as JSON in two parts: the stored
 * scan's, shared by the reviews of the image until a vulnerability's age in
 * days changes, as UTF-8 bytes encoded once (read-only: copy them to hand
 * them on), and the review's own fields. `report` holds those of the own
 * fields the report's findings depend on (the namespace's metadata), which
 * reviews of the image in one namespace share: a worker keeps those
 * findings per stored scan and `report` (evaluateDecisionShared).
 */
export interface SplitInput {
  readonly shared: Uint8Array;
  readonly own: string;
  readonly report: string;
}

/** A parsed AdmissionReview in, the AdmissionReview answer out; a malformed review throws a 4xx AppError. */
export async function reviewAdmission(body: unknown, deps: AdmissionDependencies): Promise<Record<string, unknown>> {
  const facts = admissionRequestOf(body);
  // parseManifest reads bytes, so the review is handed over as JSON text.
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  // Deleting or connecting to a workload starts no image; an object-less request has nothing to check.
  const workloads =
    facts.hasObject && facts.operation !== 'DELETE' && facts.operation !== 'CONNECT' ? parseManifest(bytes, 'AdmissionReview', DEFAULT_INPUT_LIMITS) : [];
  const workload = workloads[0];
  if (!workload) return admissionResponse(facts.uid, { allowed: true, reasons: [], warnings: [], subject: 'object' });
  const subject = subjectOf(workload, facts);
  let verdict: AdmissionVerdict;
  try {
    verdict = await evaluateWorkload(workload, facts, subject, deps);
  } catch (err) {
    deps.onError?.(err);
    verdict = failureVerdict(err, subject, deps.options);
  }
  if (!facts.dryRun) deps.onDecision?.({ uid: facts.uid, subject, allowed: verdict.allowed, reasons: verdict.reasons });
  return admissionResponse(facts.uid, verdict);
}

async function evaluateWorkload(workload: Workload, facts: AdmissionRequestFacts, subject: string, deps: AdmissionDependencies): Promise<AdmissionVerdict> {
  const images = [...new Set(workload.containers.map((c) => c.image))];
  const digests = new Map(images.map((image) => [image, parseImageRef(image)?.digest ?? null]));
  const stored = await deps.scans.getMany([...digests.values()].filter((d): d is string => d !== null));
  const policy = await deps.policy();
  const metadata = await metadataOf(workload.namespace ?? facts.namespace, deps);
  const clock = (deps.now ?? (() => new Date()))();
  const scans = images.map((image) => {
    const digest = digests.get(image) ?? null;
    return digest === null ? undefined : stored.get(digest);
  });
  const verdicts = await Promise.all(images.map((image, i) => decideImage(image, scans[i], { workload, metadata, clock, policy, deps })));
  const reasons = new Set<string>();
  const warnings = new Set<string>();
  images.forEach((image, i) => {
    const verdict = verdicts[i] as ImageVerdict;
    for (const reason of verdict.reasons) reasons.add(reason);
    for (const warning of verdict.warnings) warnings.add(warning);
    if (!scans[i])
      (deps.options.unscanned === 'deny' ? reasons : warnings).add(
        `image '${image}' has no stored scan result${digests.get(image) === null ? ' (it is not pinned by digest)' : ''}`,
      );
  });
  return { allowed: reasons.size === 0, reasons: [...reasons], warnings: [...warnings], subject };
}

interface ReviewContext {
  readonly workload: Workload;
  readonly metadata: ClusterMetadata;
  readonly clock: Date;
  readonly policy: DecisionPolicy;
  readonly deps: AdmissionDependencies;
}

/** One image's verdict: a recent one for the same question, else evaluated (on a worker when the server provides one). */
async function decideImage(image: string, scan: StoredScan | undefined, review: ReviewContext): Promise<ImageVerdict> {
  const { policy, deps, metadata, clock } = review;
  const workloads = [{ ...review.workload, containers: review.workload.containers.filter((c) => c.image === image) }];
  const key = JSON.stringify([scan?.digest, scan?.storedAt, workloads, metadata]);
  const base = scan?.input ?? emptyInput();
  const now = clock.toISOString();
  const decide = async () => {
    const stored = storedPart(base, clock);
    const report = JSON.stringify({ metadata });
    const verdict = deps.decide
      ? await deps.decide({ shared: stored.bytes, own: JSON.stringify({ now, workloads, metadata }), report }, clock)
      : imageVerdictOf(messagesOf(evaluateDecision(policy, { ...stored.aged.input, now, workloads, metadata })));
    return stored.interned(report, verdict);
  };
  return deps.cache ? deps.cache.through(policy, key, clock.getTime(), decide) : decide();
}

/** A stored report's input as of a time, and as JSON without the parts each review sets. */
interface StoredPart {
  readonly aged: AgedInput;
  readonly bytes: Uint8Array;
  /**
   * The verdict given, or the last equal one given for the same namespace
   * (`report`): the reviews of an image in a namespace mostly get the same
   * messages, which the decision cache then holds once rather than once per
   * Pod; a verdict that differs has the messages it shares with the last one
   * as that one's strings.
   */
  interned(report: string, verdict: ImageVerdict): ImageVerdict;
}

/** Per stored report, its part as last used: reviews of a digest share it until a vulnerability's age in days changes. */
const storedParts = new WeakMap<NormalizedInput, StoredPart>();

/**
 * The stored report (or no report) as of the review's time, its
 * vulnerabilities aged to it (a CVE-age threshold passed since the upload
 * denies), for a review that sets its own time, namespace and the containers
 * that run the image, so findings name this image alone. Its JSON, which
 * evaluation workers keep parsed, is encoded again only when an age changed.
 */
function storedPart(base: NormalizedInput, clock: Date): StoredPart {
  const time = clock.getTime();
  const last = storedParts.get(base);
  if (last && last.aged.from <= time && time < last.aged.until) return last;
  const aged = agedTo(base, clock);
  const verdicts = new Map<string, ImageVerdict>();
  const part: StoredPart = {
    aged,
    bytes: Buffer.from(JSON.stringify({ ...aged.input, now: undefined, workloads: undefined, metadata: undefined }), 'utf8'),
    interned: (report, verdict) => {
      const previous = verdicts.get(report);
      if (previous && sameVerdict(previous, verdict)) return previous;
      const kept = previous ? withMessagesOf(previous, verdict) : verdict;
      verdicts.set(report, kept);
      return kept;
    },
  };
  storedParts.set(base, part);
  return part;
}

/**
 * `verdict` with each message `previous` has too given as previous's string.
 * Pods whose messages differ in one (a finding that names the Pod) repeat the
 * rest, a report's worth of vulnerabilities: held as copies, they kept 80 KB
 * per review of three images in the decision cache, whose marking and
 * copying paused the event loop for up to 30 ms under reviews of distinct Pods.
 */
function withMessagesOf(previous: ImageVerdict, verdict: ImageVerdict): ImageVerdict {
  const messages = new Map<string, string>();
  for (const message of [...previous.reasons, ...previous.warnings]) messages.set(message, message);
  const kept = (given: readonly string[]) => given.map((message) => messages.get(message) ?? message);
  return { reasons: kept(verdict.reasons), warnings: kept(verdict.warnings) };
}

function sameVerdict(a: ImageVerdict, b: ImageVerdict): boolean {
  const same = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((s, i) => s === y[i]);
  return same(a.reasons, b.reasons) && same(a.warnings, b.warnings);
}

let empty: NormalizedInput | undefined;

/** A valid input with no report, built once: normalize() checks it against the schema. */
function emptyInput(): NormalizedInput {
  empty ??= normalize({ now: new Date(0) });
  return empty;
}

async function metadataOf(namespace: string | null, deps: AdmissionDependencies): Promise<ClusterMetadata> {
  if (deps.metadata) return deps.metadata(namespace);
  const labels = await deps.namespaceLabels(namespace);
  return { namespace, namespace_labels: labels, environment: labels[deps.options.environmentLabel] ?? null, cluster: null, labels: {} };
}

function failureVerdict(err: unknown, subject: string, options: AdmissionOptions): AdmissionVerdict {
  const why = isAppError(err) && err.code !== 'INTERNAL' ? err.message : 'internal error';
  const reason = `the image policy could not be evaluated: ${why}`;
  if (options.failurePolicy === 'Ignore')
    return { allowed: true, reasons: [], warnings: [`portcullis: ${reason}; admitted because the failure policy is Ignore`], subject };
  return { allowed: false, reasons: [reason], warnings: [], subject };
}

function subjectOf(workload: Workload, facts: AdmissionRequestFacts): string {
  const namespace = workload.namespace ?? facts.namespace;
  const name = workload.name ?? '(unnamed)';
  return `${workload.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}
