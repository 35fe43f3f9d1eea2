import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_INPUT_LIMITS, parseClusterMetadata, parseDockerfile, parseManifest, parseReport } from '../../src/inputs/index.js';
import { REAL_FIXTURES, UPSTREAM_REPORTS } from '../helpers/fixtures.js';
import { mutate, outcomeOf, rng, Tally } from '../helpers/mutate.js';

// Parser fuzzing: at least 20,000 seeded mutants of a real input of each kind
// (every report format, Dockerfile, manifest and AdmissionReview, cluster
// metadata) through its parser. Each must end in a result or a coded
// AppError; any other exception is a crash, and the threshold is zero. The
// figures are printed so a run can be compared with the last.

const ITERATIONS = 20_000;
const real = (...path: string[]) => readFileSync(join(REAL_FIXTURES, ...path), 'utf8');
const upstream = (name: string) => readFileSync(join(UPSTREAM_REPORTS, name), 'utf8');
const bytes = (text: string) => Buffer.from(text, 'utf8');
const report = (text: string) => parseReport({ path: 'fuzz', bytes: bytes(text) });

const KINDS: readonly { readonly kind: string; readonly seeds: readonly string[]; readonly parse: (text: string) => unknown }[] = [
  {
    kind: 'trivy',
    seeds: [real('reports', 'django-DefectDojo__trivy__misconfigurations_and_secrets.json'), upstream('DefectDojo__trivy__legacy_trivy_mix.json')],
    parse: report,
  },
  { kind: 'trivy-k8s', seeds: [real('reports', 'secureCodeBox__k8s-results_unexpected-attribute.json')], parse: report },
  {
    kind: 'trivy-operator',
    seeds: [
      real('reports', 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json'),
      upstream('DefectDojo__trivy_operator__configauditreport_single_vuln.json'),
    ],
    parse: report,
  },
  { kind: 'grype', seeds: [real('reports', 'django-DefectDojo__anchore_grype__no_vuln.json')], parse: report },
  { kind: 'cyclonedx-json', seeds: [upstream('DefectDojo__cyclonedx__valid-vulnerability-1.4.json')], parse: report },
  { kind: 'cyclonedx-xml', seeds: [upstream('DefectDojo__cyclonedx__valid-vulnerability-1.4.xml')], parse: report },
  { kind: 'sarif', seeds: [real('reports', 'trivy__alpine-310.sarif.golden'), upstream('anchore-grype__TestSarifPresenter_image.golden')], parse: report },
  {
    kind: 'dockerfile',
    seeds: [real('dockerfiles', 'conftest__examples-docker__Dockerfile')],
    parse: (text) => parseDockerfile(bytes(text), 'Dockerfile', DEFAULT_INPUT_LIMITS),
  },
  {
    kind: 'manifest/admission',
    seeds: [real('admission', 'generic-sidecar-injector__admissionreview.json'), real('admission', 'pod-privileged-policy__no_privileged_containers.json')],
    parse: (text) => parseManifest(bytes(text), 'manifest', DEFAULT_INPUT_LIMITS),
  },
  {
    kind: 'cluster metadata',
    seeds: ['namespace: payments\nnamespace_labels: {tier: critical}\nenvironment: prod\ncluster: eu-west-1\nlabels: {team: checkout}\n'],
    parse: (text) => parseClusterMetadata(bytes(text), 'metadata', DEFAULT_INPUT_LIMITS),
  },
];

describe('parser fuzzing', () => {
  KINDS.forEach(({ kind, seeds, parse }, index) => {
    it(`${kind}: ${ITERATIONS} mutants end in a result or a coded error`, () => {
      const seed = 20_000 + index;
      const r = rng(seed);
      const tally = new Tally();
      for (let i = 0; i < ITERATIONS; i += 1) {
        const text = mutate(seeds[i % seeds.length] as string, r);
        tally.add(
          outcomeOf(() => parse(text)),
          text,
        );
      }
      console.log(`fuzz ${kind} (seed ${seed}): ${tally.summary()}`);
      assert.equal(tally.iterations, ITERATIONS);
      assert.equal(tally.crashCount, 0, tally.crashes.map((c) => `${String(c.error)}\n${c.input}`).join('\n---\n'));
    });
  });
});
