import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { DATA_PATH, type LoadedBundle } from '../../src/bundle/index.js';
import { REPORT_ENTRYPOINT, VERDICT_ENTRYPOINT } from '../../src/check/index.js';
import { runOpa } from '../../src/compile/index.js';
import type { JsonValue } from '../../src/core/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import { normalizeFiles, type NormalizedInput } from '../../src/inputs/index.js';
import type { Decision, Finding } from '../../src/report/model.js';
import { buildRepositoryBundle, toolchain } from '../helpers/opa.js';
import { REPO } from '../helpers/processes.js';
import { FIXTURE_LIST, FIXTURES, fixturePath, normalizeFixture, readFixtureJson } from '../inputs/fixtures.js';

// The image scan library as shipped: bundles/image-scan.yaml built by the real
// opa with the example settings, evaluated in-process on normalized inputs of
// real scan reports, Dockerfiles and admission reviews.

const ENTRYPOINT = 'portcullis/scan/decision';
const NOW = '2026-11-28T12:00:00Z';
const JUICE_SHOP = join(FIXTURES, 'reports', 'secureCodeBox__juice-shop-v10.2.0.json');

const RANK: Readonly<Record<string, number>> = { UNKNOWN: 0, NEGLIGIBLE: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };

interface Settings {
  readonly vulnerabilities: { readonly ignore_statuses: readonly string[]; readonly denylist: readonly ({ readonly id: string } | string)[] };
  readonly environments: readonly {
    readonly name: string;
    readonly vulnerability_age?: readonly { readonly severity: string; readonly max_age_days: number }[];
  }[];
  readonly exceptions: readonly { readonly image?: string }[];
}

interface TrivyVulnerability {
  readonly VulnerabilityID: string;
  readonly PkgName: string;
  readonly InstalledVersion: string;
  readonly FixedVersion?: string;
  readonly Status?: string;
  readonly Severity: string;
  readonly PublishedDate?: string;
}

interface TrivyReport {
  readonly Results: readonly { readonly Class: string; readonly Vulnerabilities?: readonly TrivyVulnerability[] | null }[];
}

describe('the image scan policy library (bundles/image-scan.yaml)', () => {
  let bundle: LoadedBundle;
  let policy: WasmPolicy;
  let validDecision: ValidateFunction;
  let settings: Settings;
  let project: string;

  before(async () => {
    ({ bundle, project } = await buildRepositoryBundle('image-scan'));
    policy = await WasmPolicy.fromBundle(bundle);
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    validDecision = ajv.compile(JSON.parse(await readFile(join(REPO, 'schemas/decision.schema.json'), 'utf8')) as object);
    settings = parse(await readFile(join(REPO, 'examples/policy/settings.yaml'), 'utf8')) as Settings;
  });

  function decide(input: NormalizedInput): Decision {
    const result = policy.evaluate(ENTRYPOINT, input as unknown as JsonValue);
    assert.ok(result.defined, 'the decision is always defined');
    const decision = result.result as Decision;
    assert.ok(validDecision(decision), JSON.stringify(validDecision.errors, null, 2));
    assert.equal(decision.decision, decision.violations.length > 0 ? 'deny' : 'allow');
    return decision;
  }

  const inEnvironment = (input: NormalizedInput, environment: string): NormalizedInput => ({ ...input, metadata: { ...input.metadata, environment } });

  it('has the decision, the report entries and the admission verdict as its Wasm entrypoints and the example settings mounted at portcullis/scan/settings', () => {
    assert.deepEqual(bundle.manifest.roots, ['portcullis/scan']);
    // Nothing more: opa build would also export every rule that depends on an entrypoint.
    assert.deepEqual(
      bundle.manifest.wasm?.map((w) => w.entrypoint),
      [ENTRYPOINT, REPORT_ENTRYPOINT, VERDICT_ENTRYPOINT],
    );
    const data = JSON.parse(JSON.stringify(bundle.data)) as { portcullis: { scan: { settings: Settings } } };
    assert.deepEqual(data.portcullis.scan.settings, settings);
  });

  it('decides on every shared fixture, in the shape of schemas/decision.schema.json', async () => {
    for (const fixture of FIXTURE_LIST) {
      const decision = decide(await normalizeFixture(fixture, NOW));
      for (const f of decision.violations) assert.equal(f.enforcement, 'deny', `${fixture.name}: ${f.message}`);
      for (const f of decision.warnings) assert.equal(f.enforcement, 'warn', `${fixture.name}: ${f.message}`);
    }
  });

  it('denies exactly the fixable HIGH and CRITICAL vulnerabilities of the juice-shop report under the prod profile', async () => {
    const report = JSON.parse(await readFile(JUICE_SHOP, 'utf8')) as TrivyReport;
    const raw = report.Results.flatMap((r) => r.Vulnerabilities ?? []);
    assert.equal(raw.length, 236);
    // Computed from the raw Trivy JSON and the settings file, not from the normalized input.
    const ignored = new Set(settings.vulnerabilities.ignore_statuses);
    const counted = raw.filter((v) => !ignored.has(v.Status ?? ''));
    const fixable = (v: TrivyVulnerability): boolean =>
      v.Status === 'fixed' || (Boolean(v.FixedVersion) && !['will_not_fix', 'fix_deferred', 'end_of_life'].includes(v.Status ?? ''));
    const denylisted = new Set(settings.vulnerabilities.denylist.map((e) => (typeof e === 'string' ? e : e.id)));
    assert.ok(
      settings.exceptions.every((e) => e.image !== undefined && !e.image.includes('juice-shop')),
      'no example exception is about juice-shop',
    );
    const key = (v: TrivyVulnerability): string => `${v.VulnerabilityID} ${v.PkgName} ${v.InstalledVersion}`;
    const deniedKeys = new Set(counted.filter((v) => (fixable(v) && (RANK[v.Severity] ?? 0) >= RANK['HIGH']!) || denylisted.has(v.VulnerabilityID)).map(key));
    const expectedIds = new Set(counted.filter((v) => deniedKeys.has(key(v))).map((v) => v.VulnerabilityID));

    const decision = decide(inEnvironment(await normalizeFiles({ reports: [{ path: JUICE_SHOP }], now: NOW }), 'prod'));
    const vulnerabilityViolations = decision.violations.filter((f) => f.rule.startsWith('vulnerability_'));
    assert.deepEqual(new Set(vulnerabilityViolations.map((f) => f.id)), expectedIds);
    assert.equal(expectedIds.size > 50, true, `${expectedIds.size} CVE IDs denied`);
    assert.deepEqual(new Set(vulnerabilityViolations.map((f) => `${f.id} ${f.package} ${f.installed_version}`)), deniedKeys);
    assert.ok(vulnerabilityViolations.every((f) => f.rule === 'vulnerability_severity' && f.image === 'bkimminich/juice-shop:v10.2.0'));

    // Warnings: unfixable CRITICALs, and fixable MEDIUMs past the prod profile's deadline.
    const prod = settings.environments.find((e) => e.name === 'prod');
    const deadline = prod?.vulnerability_age?.[0]?.max_age_days ?? Number.NaN;
    const ageDays = (v: TrivyVulnerability): number => Math.floor((Date.parse(NOW) - Date.parse(v.PublishedDate ?? NOW)) / 86_400_000);
    const warnedKeys = new Set(
      counted
        .filter((v) => !deniedKeys.has(key(v)))
        .filter((v) => (!fixable(v) && v.Severity === 'CRITICAL') || (fixable(v) && (RANK[v.Severity] ?? 0) >= RANK['MEDIUM']! && ageDays(v) > deadline))
        .map(key),
    );
    const vulnerabilityWarnings = decision.warnings.filter((f) => f.rule.startsWith('vulnerability_'));
    assert.deepEqual(new Set(vulnerabilityWarnings.map((f) => `${f.id} ${f.package} ${f.installed_version}`)), warnedKeys);

    // The other findings of that image: the private key Trivy's secret scanner found.
    assert.deepEqual(
      decision.violations.filter((f) => !f.rule.startsWith('vulnerability_')).map((f) => [f.rule, f.id, f.location]),
      [['scanner_secret', 'private-key', { file: '/juice-shop/lib/insecurity.js', line: 19 }]],
    );
  });

  it('in dev, denies juice-shop only for fixable HIGHs left for more than 30 days, and warns about the rest', async () => {
    const input = await normalizeFiles({ reports: [{ path: JUICE_SHOP }], now: NOW });
    const prod = decide(inEnvironment(input, 'prod'));
    const dev = decide(inEnvironment(input, 'dev'));
    const keys = (findings: readonly Finding[], rule: string) =>
      new Set(findings.filter((f) => f.rule === rule).map((f) => `${f.id} ${f.package} ${f.installed_version}`));
    // Every fixable HIGH+ in this 2020 image is years old: the age gate denies what prod denies by
    // severity, except the advisories without a published date (NSWG-ECO-*, some GHSA), which are not aged.
    const dated = new Set(input.vulnerabilities.filter((v) => v.age_days !== null).map((v) => `${v.id} ${v.package.name} ${v.installed_version}`));
    const expected = new Set([...keys(prod.violations, 'vulnerability_severity')].filter((k) => dated.has(k)));
    assert.ok(expected.size > 100);
    assert.deepEqual(keys(dev.violations, 'vulnerability_age'), expected);
    assert.equal(keys(dev.violations, 'vulnerability_severity').size, 0);
    assert.ok(dev.violations.every((f) => f.rule !== 'vulnerability_age' || f.message.includes("environment 'dev'")));
  });

  it('points Dockerfile findings at their line', async () => {
    const dockerfile = join(FIXTURES, 'dockerfiles', 'conftest__examples-docker__Dockerfile');
    const decision = decide(await normalizeFiles({ dockerfile, now: NOW }));
    const root = decision.violations.find((f) => f.rule === 'run_as_root');
    assert.deepEqual(root?.location, { file: dockerfile, line: 1 });
    const minimal = decision.warnings.find((f) => f.rule === 'non_minimal_base_image');
    assert.equal(minimal?.image, 'openjdk:8-jdk-alpine');
  });

  it('checks the deployed images of an admission review', async () => {
    const manifest = fixturePath({ kind: 'admission', name: 'generic-sidecar-injector__admissionreview.json' });
    const decision = decide(await normalizeFiles({ manifest, now: NOW }));
    const latest = decision.violations.filter((f) => f.rule === 'mutable_tag');
    assert.deepEqual(
      latest.map((f) => f.image),
      ['gcr.io/gsf-mgmt-devmvp-spinnaker/dva/keymaker-client:latest'],
    );
    // require_digest is in warn mode in the example settings: the team is moving to digests.
    assert.equal(decision.warnings.filter((f) => f.rule === 'require_digest').length, 3);
  });

  it('reports example exceptions: applied to a matching image, expired ones as expired', async () => {
    const input = await normalizeFiles({ reports: [{ path: JUICE_SHOP }], now: NOW });
    const payments = {
      ...input,
      image: { ...input.image, ref: 'ghcr.io/acme/payments-api:1.0', name: 'ghcr.io/acme/payments-api', registry: 'ghcr.io', repository: 'acme/payments-api' },
    };
    const first = input.vulnerabilities.find((v) => v.severity === 'CRITICAL' && v.fix_available);
    assert.ok(first);
    const withOwnException = (expires: string): JsonValue =>
      ({
        ...(bundle.data as object),
        portcullis: {
          scan: {
            settings: { ...settings, exceptions: [{ id: first.id, package: first.package.name, image: 'ghcr.io/acme/*', reason: 'accepted', expires }] },
          },
        },
      }) as unknown as JsonValue;
    const scoped = await WasmPolicy.fromBundle({ ...bundle, data: withOwnException('2026-12-31') } as LoadedBundle);
    const applied = (scoped.evaluate(ENTRYPOINT, payments as unknown as JsonValue) as { result: unknown }).result as Decision;
    assert.ok(validDecision(applied));
    assert.ok(applied.exceptions.length >= 1 && applied.exceptions.every((e) => e.finding?.id === first.id));
    assert.ok(!applied.violations.some((f) => f.id === first.id && f.package === first.package.name));
    const stale = await WasmPolicy.fromBundle({ ...bundle, data: withOwnException('2026-11-27') } as LoadedBundle);
    const expired = (stale.evaluate(ENTRYPOINT, payments as unknown as JsonValue) as { result: unknown }).result as Decision;
    assert.deepEqual(expired.exceptions, []);
    assert.deepEqual(expired.expired_exceptions, [
      { rule: '*', id: first.id, package: first.package.name, image: 'ghcr.io/acme/*', reason: 'accepted', expires: '2026-11-27' },
    ]);
    assert.ok(expired.violations.some((f) => f.id === first.id));
  });

  it('decides like OPA topdown (opa eval on the same Rego, data and input)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-scan-diff-'));
    const dataFile = join(dir, 'data.json');
    await writeFile(dataFile, bundle.files.find((f) => f.path === DATA_PATH)!.bytes);
    const inputs = [
      inEnvironment(await normalizeFiles({ reports: [{ path: JUICE_SHOP }], now: NOW }), 'prod'),
      await normalizeFiles({
        reports: [{ path: join(FIXTURES, 'reports', 'django-DefectDojo__anchore_grype__issue_9618.json') }],
        dockerfile: join(FIXTURES, 'dockerfiles', 'conftest__examples-docker__Dockerfile'),
        manifest: fixturePath({ kind: 'admission', name: 'generic-sidecar-injector__admissionreview.json' }),
        now: NOW,
      }),
    ];
    for (const [i, input] of inputs.entries()) {
      const inputFile = join(dir, `input-${i}.json`);
      await writeFile(inputFile, JSON.stringify(input));
      const run = await runOpa(toolchain().opa, [
        'eval',
        '--format',
        'json',
        '-d',
        join(project, 'policies/scan'),
        '-d',
        dataFile,
        '-i',
        inputFile,
        'data.portcullis.scan.decision',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const topdown = (JSON.parse(run.stdout) as { result: { expressions: { value: unknown }[] }[] }).result[0]?.expressions[0]?.value;
      assert.deepEqual(decide(input), topdown);
    }
  });

  it('keeps each rule METADATA block and the catalog the decision uses in step', async () => {
    const inspect = await runOpa(toolchain().opa, ['inspect', '--annotations', '--format', 'json', join(project, 'policies/scan')]);
    assert.equal(inspect.code, 0, inspect.stderr);
    type Annotation = { annotations: { scope: string; title?: string; custom?: { practice?: string; severity?: string } }; path: { value: string }[] };
    const rules = (JSON.parse(inspect.stdout) as { annotations: Annotation[] }).annotations.filter((a) => a.annotations.scope === 'rule');
    const catalogRun = await runOpa(toolchain().opa, ['eval', '--format', 'json', '-d', join(project, 'policies/scan'), 'data.portcullis.scan.config.catalog']);
    assert.equal(catalogRun.code, 0, catalogRun.stderr);
    const catalog = (
      JSON.parse(catalogRun.stdout) as { result: { expressions: { value: Record<string, { title: string; practice: string; severity: string }> }[] }[] }
    ).result[0]?.expressions[0]?.value;
    assert.ok(catalog);
    const fromMetadata = Object.fromEntries(
      rules
        .filter((a) => a.path.at(-1)?.value !== 'decision')
        .map((a) => [a.path.at(-1)?.value, { title: a.annotations.title, practice: a.annotations.custom?.practice, severity: a.annotations.custom?.severity }]),
    );
    const fromCatalog = Object.fromEntries(Object.entries(catalog).map(([id, c]) => [id, { title: c.title, practice: c.practice, severity: c.severity }]));
    assert.deepEqual(fromMetadata, fromCatalog);
    const schema = JSON.parse(await readFile(join(REPO, 'schemas/policy-settings.schema.json'), 'utf8')) as { definitions: { rule_id: { enum: string[] } } };
    assert.deepEqual([...schema.definitions.rule_id.enum].sort(), Object.keys(catalog).sort());
  });
});

// Read once so a missing fixtures folder fails here with a clear path.
await readFixtureJson('reports', 'secureCodeBox__juice-shop-v10.2.0.json');
