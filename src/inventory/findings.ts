import { sha1Hex, sha256Hex } from '../core/index.js';
import { SEVERITY_RANK, type NormalizedInput, type Severity, type Vulnerability } from '../inputs/index.js';
import type { Decision, Finding } from '../report/index.js';
import { toEventFinding, type CurrentFinding, type Enforcement, type FindingContent, type FindingPlan, type FindingPlanner } from '../store/index.js';

type Content = Omit<FindingContent, 'contentHash'>;

export type VulnerabilityFacts = ReadonlyMap<string, Vulnerability>;

/** Facts the decision does not repeat: publication, score, fix availability; by vulnerability, package and version. */
export function vulnerabilityFacts(input: NormalizedInput): VulnerabilityFacts {
  const facts = new Map<string, Vulnerability>();
  for (const v of input.vulnerabilities) {
    const key = `${v.id}\u0000${v.package.name}\u0000${v.installed_version}`;
    if (!facts.has(key)) facts.set(key, v);
  }
  return facts;
}

/**
 * The identity of a finding within one running container: its rule and, for
 * a vulnerability, the id, package and installed version; otherwise its
 * message and location. Messages of vulnerability findings mention
 * thresholds and ages, which change with revisions and time, so they are
 * left out, and first_seen stays meaningful across revisions.
 */
export function fingerprintOf(f: Pick<Finding, 'rule' | 'id' | 'package' | 'installed_version' | 'message' | 'location'>): string {
  const key = f.id ? [f.rule, f.id, f.package ?? '', f.installed_version ?? ''] : [f.rule, f.message, f.location?.file ?? '', f.location?.line ?? 0];
  return sha256Hex(JSON.stringify(key)).slice(0, 32);
}

/** The content's hash: its values in a fixed order (independent of key order, and far cheaper than canonical JSON). */
export function withHash(c: Content): FindingContent {
  const values = [
    c.fingerprint,
    c.rule,
    c.enforcement,
    c.state,
    c.severity,
    c.severityRank,
    c.vulnId,
    c.package,
    c.installedVersion,
    c.fixedVersion,
    c.fixable,
    c.published,
    c.score,
    c.title,
    c.message,
    c.exception?.reason ?? null,
    c.exception?.expires ?? null,
  ];
  return { ...c, contentHash: sha1Hex(JSON.stringify(values)) };
}

const rank = (severity: string): number => SEVERITY_RANK[severity as Severity] ?? 0;

function contentOf(f: Finding, state: 'open' | 'excepted', facts: VulnerabilityFacts, exception: Content['exception']): FindingContent {
  const v = f.id ? facts.get(`${f.id}\u0000${f.package ?? ''}\u0000${f.installed_version ?? ''}`) : undefined;
  const published = v?.published ? Date.parse(v.published) : NaN;
  return withHash({
    fingerprint: fingerprintOf(f),
    rule: f.rule,
    enforcement: f.enforcement,
    state,
    severity: f.severity,
    severityRank: rank(f.severity),
    vulnId: f.id ?? '',
    package: f.package ?? '',
    installedVersion: f.installed_version ?? '',
    fixedVersion: f.fixed_version ?? v?.fixed_version ?? '',
    fixable: v?.fix_available ?? false,
    published: Number.isNaN(published) ? null : published,
    score: v?.cvss_score ?? null,
    title: v?.title ?? f.title ?? '',
    message: f.message,
    exception,
  });
}

/**
 * A decision as findings: violations and warnings are open, findings an
 * exception suppressed are excepted (with the exception's reason and
 * expiry). One fingerprint is kept once, the most severe first as the
 * decision orders them.
 */
export function decisionFindings(decision: Decision, input: NormalizedInput, facts = vulnerabilityFacts(input)): FindingContent[] {
  const all = [
    ...decision.violations.map((f) => contentOf(f, 'open', facts, null)),
    ...decision.warnings.map((f) => contentOf(f, 'open', facts, null)),
    ...decision.exceptions.flatMap((e) => (e.finding ? [contentOf(e.finding, 'excepted', facts, { reason: e.reason, expires: e.expires })] : [])),
  ];
  const seen = new Set<string>();
  return all.filter((f) => !seen.has(f.fingerprint) && seen.add(f.fingerprint));
}

/** The hash of a finding list: equal hashes, nothing for any container to write. */
export function findingsHash(findings: readonly FindingContent[]): string {
  return sha256Hex(
    findings
      .map((f) => `${f.fingerprint}:${f.contentHash}`)
      .sort()
      .join('\n'),
  ).slice(0, 32);
}

/** A finding portcullis itself reports about a running container (not a vulnerability, not from the policy). */
export function ownFinding(rule: string, key: string, title: string, message: string, enforcement: Enforcement): FindingContent {
  return withHash({
    fingerprint: fingerprintOf({ rule, message: key }),
    rule,
    enforcement,
    state: 'open',
    severity: 'HIGH',
    severityRank: rank('HIGH'),
    vulnId: '',
    package: '',
    installedVersion: '',
    fixedVersion: '',
    fixable: false,
    published: null,
    score: null,
    title,
    message,
    exception: null,
  });
}

/** A container whose digest is unknown cannot be proven to run what was scanned: a finding of its own. */
export function unresolvedDigestFinding(image: string, why: string, enforcement: Enforcement): FindingContent {
  const message = `the digest of the running image '${image}' is unknown (${why}), so it cannot be matched to a scan`;
  return ownFinding('unresolved_digest', image, 'Running image digest unknown', message, enforcement);
}

/** A digest with no stored scan: nothing proves what it contains. Mode as admission's `unscanned`. */
export function unscannedFinding(digest: string, enforcement: Enforcement): FindingContent {
  return ownFinding('unscanned', digest, 'Running image has no scan', `no scan result is stored for the running image ${digest}`, enforcement);
}

const counts = (f: { readonly state: string; readonly enforcement: string }) => f.state === 'open' && f.enforcement === 'deny';

/**
 * What a container's findings become when its evaluation gives `next`:
 * new fingerprints (or resolved ones that are back) are upserted, changed
 * ones updated, missing ones resolved. The webhook hears of every finding
 * that starts or stops being an open deny-level finding.
 */
export const planFindings: FindingPlanner = (current: readonly CurrentFinding[], next: readonly FindingContent[]): FindingPlan => {
  const live = new Map(current.map((c) => [c.fingerprint, c]));
  const upserts: FindingContent[] = [];
  const updates: (FindingContent & { id: number })[] = [];
  const opened: ReturnType<typeof toEventFinding>[] = [];
  const resolved: (ReturnType<typeof toEventFinding> & { reason: string })[] = [];
  const wanted = new Set<string>();
  for (const f of next) {
    wanted.add(f.fingerprint);
    const prior = live.get(f.fingerprint);
    if (!prior) upserts.push(f);
    else if (prior.contentHash !== f.contentHash) updates.push({ ...f, id: prior.id });
    const was = prior !== undefined && counts(prior);
    if (counts(f) && !was) opened.push(toEventFinding(f));
    if (!counts(f) && was) resolved.push({ ...toEventFinding(f), reason: f.state === 'excepted' ? 'excepted' : 'downgraded' });
  }
  const resolves = current.filter((c) => !wanted.has(c.fingerprint));
  for (const c of resolves) if (counts(c)) resolved.push({ ...toEventFinding(c), reason: 'resolved' });
  return { upserts, updates, resolves, opened, resolved };
};
