// An admission review whose images are decided by an injected `decide` (the
// server's evaluation workers): all images at once, each given the same input
// the policy would see in-process, as JSON text, with the same answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { evaluateDecision, messagesOf, type DecisionPolicy } from '../../src/check/index.js';
import type { JsonValue } from '../../src/core/index.js';
import {
  DecisionCache,
  DEFAULT_ADMISSION_OPTIONS,
  imageVerdictOf,
  MemoryScanResults,
  reviewAdmission,
  type AdmissionDependencies,
  type ImageVerdict,
  type SplitInput,
} from '../../src/gatekeeper/index.js';
import { normalize, type NormalizedInput } from '../../src/inputs/index.js';
import type { Decision } from '../../src/report/index.js';
import { digest, review, trivyReport } from './admission-fixture.js';

const IMAGES = [1, 2, 3].map((n) => `registry.example.com/shop/svc${n}@${digest(n)}`);
const UNSCANNED = `registry.example.com/shop/new@${digest(9)}`;
const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

/** A synthetic policy: one violation per vulnerability, naming the image the input's workload runs. */
/** The input a worker evaluates: the stored scan's part with the review's own fields. */
function joined(input: SplitInput): NormalizedInput {
  return { ...(JSON.parse(Buffer.from(input.shared).toString('utf8')) as object), ...(JSON.parse(input.own) as object) } as NormalizedInput;
}

function recordingPolicy(seen: JsonValue[]): DecisionPolicy {
  return {
    evaluate: (_entrypoint, input) => {
      seen.push(input as JsonValue);
      const i = input as { vulnerabilities: { id: string }[]; workloads: { containers: { image: string }[] }[] };
      const image = i.workloads[0]?.containers[0]?.image ?? '';
      const violations = i.vulnerabilities.map((v) => ({ rule: 'cve', severity: 'CRITICAL', enforcement: 'deny', message: `${v.id} in ${image}`, image }));
      return {
        defined: true,
        result: { decision: violations.length > 0 ? 'deny' : 'allow', violations, warnings: [], exceptions: [], expired_exceptions: [] },
      };
    },
  };
}

async function scans(): Promise<MemoryScanResults> {
  const results = new MemoryScanResults();
  for (const [n, image] of IMAGES.entries()) {
    const bytes = Buffer.from(JSON.stringify(trivyReport(image, [`CVE-2024-000${n}`])));
    const input = normalize({ reports: [{ path: `report-${n}.json`, bytes }], now: NOW });
    const decision = { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] } as unknown as Decision;
    await results.put({ digest: digest(n + 1), image, input, decision, storedAt: NOW.toISOString() });
  }
  return results;
}

/** Dependencies with the stored scans, a decision cache and `decide` standing in for the workers. */
async function cachedDeps(policy: DecisionPolicy, decide: (input: SplitInput) => Promise<ImageVerdict>): Promise<AdmissionDependencies> {
  return {
    scans: await scans(),
    policy: async () => policy,
    namespaceLabels: async () => ({}),
    options: DEFAULT_ADMISSION_OPTIONS,
    now: () => NOW,
    cache: new DecisionCache<ImageVerdict>(),
    decide,
  };
}

/** A review of a Pod named `name` that runs the first image. */
function podNamed(name: string): Record<string, unknown> {
  const body = review({ containers: [IMAGES[0] as string], uid: name });
  Object.assign((body['request'] as { object: { metadata: object } }).object.metadata, { name });
  return body;
}

describe('reviewAdmission with a decide function', () => {
  it('decides every image at once, on the same input as in-process, with the same answer', async () => {
    const inline: JsonValue[] = [];
    const deps = (policy: DecisionPolicy): AdmissionDependencies => ({
      scans: undefined as unknown as MemoryScanResults,
      policy: async () => policy,
      namespaceLabels: async () => ({ 'portcullis.dev/environment': 'prod' }),
      options: { ...DEFAULT_ADMISSION_OPTIONS, unscanned: 'warn' },
      now: () => NOW,
    });
    const body = review({ containers: [...IMAGES, UNSCANNED], uid: 'u1' });
    const expected = await reviewAdmission(body, { ...deps(recordingPolicy(inline)), scans: await scans() });

    const inputs: SplitInput[] = [];
    const offloaded: JsonValue[] = [];
    const policy = recordingPolicy(offloaded);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const decide = async (input: SplitInput, now: Date): Promise<ImageVerdict> => {
      assert.equal(now.getTime(), NOW.getTime());
      inputs.push(input);
      // Every image's evaluation has started before any finishes.
      if (inputs.length === IMAGES.length + 1) release();
      await gate;
      return imageVerdictOf(messagesOf(evaluateDecision(policy, joined(input))));
    };
    const answer = await reviewAdmission(body, { ...deps(policy), scans: await scans(), decide });

    assert.deepEqual(answer, expected);
    assert.equal(inputs.length, 4);
    // The review's own part holds only what each review sets; the stored scan's part none of it.
    for (const input of inputs) {
      const own = JSON.parse(input.own) as { metadata: unknown };
      assert.deepEqual(Object.keys(own).sort(), ['metadata', 'now', 'workloads']);
      // What the report's findings are kept for: the namespace's metadata alone.
      assert.deepEqual(JSON.parse(input.report), { metadata: own.metadata });
      assert.ok(!['metadata', 'now', 'workloads'].some((k) => k in (JSON.parse(Buffer.from(input.shared).toString('utf8')) as object)));
    }
    assert.deepEqual(offloaded, inline);
    const response = answer['response'] as { allowed: boolean; status: { message: string }; warnings: string[] };
    assert.equal(response.allowed, false);
    for (const [n, image] of IMAGES.entries()) assert.match(response.status.message, new RegExp(`CVE-2024-000${n} in ${image.replace(/[.]/g, '\\.')}`));
    assert.match(response.warnings.join('\n'), /has no stored scan result/);
  });

  it('evaluates each image once for reviews of the same Pod that arrive together, and again once the answers are in', async () => {
    const policy = recordingPolicy([]);
    let calls = 0;
    const decide = async (input: SplitInput): Promise<ImageVerdict> => {
      calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return imageVerdictOf(messagesOf(evaluateDecision(policy, joined(input))));
    };
    const deps = await cachedDeps(policy, decide);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => reviewAdmission(review({ containers: IMAGES, uid: `u${n}` }), deps)));
    assert.equal(calls, IMAGES.length);
    const other = await reviewAdmission(review({ containers: IMAGES, namespace: 'staging', uid: 'u5' }), deps);
    assert.equal(calls, 2 * IMAGES.length);
    for (const a of [...answers, other]) assert.equal((a['response'] as { allowed: boolean }).allowed, false);
  });

  it('keeps one copy of a verdict the Pods of an image in a namespace share, and each Pod its own when they differ', async () => {
    const kept: ImageVerdict[] = [];
    class RecordingCache extends DecisionCache<ImageVerdict> {
      override set(policy: object, key: string, verdict: ImageVerdict, now: number): void {
        kept.push(verdict);
        super.set(policy, key, verdict, now);
      }
    }
    const deps = (policy: DecisionPolicy): AdmissionDependencies => ({
      scans: undefined as unknown as MemoryScanResults,
      policy: async () => policy,
      namespaceLabels: async () => ({}),
      options: DEFAULT_ADMISSION_OPTIONS,
      now: () => NOW,
      cache: new RecordingCache(),
      decide: async (input: SplitInput) => imageVerdictOf(messagesOf(evaluateDecision(policy, joined(input)))),
    });
    const messages = async (policy: DecisionPolicy) => {
      const d = { ...deps(policy), scans: await scans() };
      return Promise.all(
        ['a', 'b'].map(async (name) => ((await reviewAdmission(podNamed(name), d))['response'] as { status: { message: string } }).status.message),
      );
    };
    await messages(recordingPolicy([]));
    assert.equal(kept.length, 2);
    assert.equal(kept[0], kept[1], 'the same messages: one verdict object');
    // A policy whose messages name the Pod.
    const naming: DecisionPolicy = {
      evaluate: (entrypoint, input, options) => {
        const name = (input as { workloads: { name: string }[] }).workloads[0]?.name ?? '';
        const result = recordingPolicy([]).evaluate(entrypoint, input, options) as { result: { violations: { message: string }[] } };
        for (const v of result.result.violations) v.message = `${v.message} (${name})`;
        return result as ReturnType<DecisionPolicy['evaluate']>;
      },
    };
    const [a, b] = await messages(naming);
    assert.notEqual(kept[2], kept[3]);
    assert.match(a ?? '', /\(a\)/);
    assert.match(b ?? '', /\(b\)/);
  });

  it("holds the messages an image's Pods share once when each Pod's verdict differs in one", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // As a worker's answer arrives: every message a string of its own, one of them naming the Pod.
    const decide = async (input: SplitInput): Promise<ImageVerdict> => {
      const pod = (JSON.parse(input.own) as { workloads: { name: string }[] }).workloads[0]?.name ?? '';
      const shared = Array.from({ length: 200 }, (_, n) => `CVE-2024-${String(n).padStart(4, '0')} ${'in a package of the image '.repeat(20)}`);
      return { reasons: [...shared, `the Pod ${pod} runs as root`], warnings: [] };
    };
    const policy = recordingPolicy([]);
    const deps = await cachedDeps(policy, decide);
    const pod = (n: number) => podNamed(`shop-${n}`);
    await reviewAdmission(pod(0), deps);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 1; n <= 300; n += 1) await reviewAdmission(pod(n), deps);
    gc();
    // Copies would hold 300 x 200 messages of 530 bytes, 32 MB; shared, each Pod holds its arrays and its own message.
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 8 * 1024 * 1024, `the cache grew ${(grown / 1048576).toFixed(1)} MiB for 300 Pods`);
  });

  it('decides a stored scan with its vulnerabilities aged to the review, not to the upload, in process and on a worker', async () => {
    const image = IMAGES[0] as string;
    const report = trivyReport(image, ['CVE-2024-0001']);
    const [result] = report['Results'] as { Vulnerabilities: Record<string, unknown>[] }[];
    Object.assign(result?.Vulnerabilities[0] ?? {}, { PublishedDate: new Date(NOW.getTime() - 80 * DAY).toISOString() });
    const results = new MemoryScanResults();
    const input = normalize({ reports: [{ path: 'report.json', bytes: Buffer.from(JSON.stringify(report)) }], now: NOW });
    const decision = { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] } as unknown as Decision;
    await results.put({ digest: digest(1), image, input, decision, storedAt: NOW.toISOString() });
    const seen: JsonValue[] = [];
    const shared: Uint8Array[] = [];
    const policy = recordingPolicy(seen);
    const deps = (days: number, offloaded: boolean): AdmissionDependencies => ({
      scans: results,
      policy: async () => policy,
      namespaceLabels: async () => ({}),
      options: DEFAULT_ADMISSION_OPTIONS,
      now: () => new Date(NOW.getTime() + days * DAY),
      ...(offloaded
        ? {
            decide: async (split: SplitInput) => {
              shared.push(split.shared);
              return imageVerdictOf(messagesOf(evaluateDecision(policy, joined(split))));
            },
          }
        : {}),
    });
    const ages = () => seen.splice(0).map((i) => (i as { vulnerabilities: { age_days: number }[] }).vulnerabilities[0]?.age_days);
    await reviewAdmission(review({ containers: [image], uid: 'u1' }), deps(20, false));
    assert.deepEqual(ages(), [100], 'in process');
    await reviewAdmission(review({ containers: [image], uid: 'u2' }), deps(20, true));
    await reviewAdmission(review({ containers: [image], uid: 'u3' }), deps(20.5, true));
    await reviewAdmission(review({ containers: [image], uid: 'u4' }), deps(21, true));
    assert.deepEqual(ages(), [100, 100, 101], 'on a worker');
    assert.equal(shared[0], shared[1], 'the same ages: the same bytes, which the worker keeps parsed');
    assert.notEqual(shared[1], shared[2]);
    assert.equal(input.vulnerabilities[0]?.age_days, 80, 'the stored scan is not changed');
  });
});
