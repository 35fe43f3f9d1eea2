import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REAL_REPORTS } from '../helpers/fixtures.js';

export const REPORTS = REAL_REPORTS;
export const NOW = '2026-11-01T00:00:00Z';
export const GENERATED = 24;

const run = promisify(execFile);

export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir });
  return stdout.trim();
}

/** The decision rule under review: deny every vulnerability at or above `threshold`, warn on mutable tags. */
export function decisionRego(threshold: string): string {
  return `package portcullis.scan

rank := {"UNKNOWN": 0, "NEGLIGIBLE": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}

threshold := "${threshold}"

image := object.get(input, ["image", "ref"], "unknown")

violations contains f if {
\tsome v in input.vulnerabilities
\trank[v.severity] >= rank[threshold]
\tf := {
\t\t"rule": "vulnerability_severity",
\t\t"message": sprintf("%s in %s is %s", [v.id, v.package.name, v.severity]),
\t\t"severity": v.severity,
\t\t"enforcement": "deny",
\t\t"image": image,
\t\t"id": v.id,
\t\t"package": v.package.name,
\t}
}

warnings contains f if {
\tendswith(image, ":latest")
\tf := {"rule": "mutable_tag", "message": "the image uses the mutable tag latest", "severity": "HIGH", "enforcement": "warn", "image": image}
}

decision := {
\t"decision": verdict,
\t"violations": sort(violations),
\t"warnings": sort(warnings),
\t"exceptions": [],
\t"expired_exceptions": [],
}

verdict := "deny" if count(violations) > 0

else := "allow"
`;
}

/** The same rule written differently: a helper function and a comprehension, no change in meaning. */
export function refactoredRego(threshold: string): string {
  return decisionRego(threshold)
    .replace(
      '\tsome v in input.vulnerabilities\n\trank[v.severity] >= rank[threshold]\n',
      '\tsome v in input.vulnerabilities\n\tat_least(v.severity, threshold)\n',
    )
    .replace(
      'verdict := "deny" if count(violations) > 0\n\nelse := "allow"\n',
      'at_least(a, b) if rank[a] >= rank[b]\n\nverdict := "allow" if count(violations) == 0\n\nelse := "deny"\n',
    );
}

export const DECISION_TEST = `package portcullis.scan_test

import data.portcullis.scan

test_critical_denied if {
\tscan.decision.decision == "deny" with input as {"vulnerabilities": [{"id": "CVE-1", "severity": "CRITICAL", "package": {"name": "p"}}]}
}

test_clean_allowed if {
\tscan.decision.decision == "allow" with input as {"vulnerabilities": []}
}
`;

const DEFINITION = `name: image-scan
roots:
  - portcullis/scan
policies:
  - ../policies/scan/*.rego
entrypoints:
  - portcullis/scan/decision
`;

const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

/** Seeded variations of a real Trivy report: other images, namespaces and severities, capped per case so each verdict occurs. */
async function writeVariations(corpus: string): Promise<void> {
  const report = JSON.parse(await readFile(join(REPORTS, 'django-DefectDojo__trivy__issue_9333.json'), 'utf8')) as {
    ArtifactName: string;
    Metadata: { RepoTags: string[] };
    Results: { Vulnerabilities?: { Severity: string }[] }[];
  };
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < GENERATED; i++) {
    const cap = i % 3 === 0 ? 1 : i % 3 === 1 ? 2 : 3;
    const copy = structuredClone(report);
    const image = `registry.example.com/team-${i % 4}/app-${i}:1.${i}`;
    copy.ArtifactName = image;
    copy.Metadata.RepoTags = [image];
    for (const r of copy.Results) for (const v of r.Vulnerabilities ?? []) v.Severity = SEVERITIES[Math.floor(random() * (cap + 1))] as string;
    const dir = join(corpus, 'generated', `case-${String(i).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.json'), JSON.stringify(copy));
    await writeFile(join(dir, 'metadata.yaml'), `namespace: team-${i % 4}\nenvironment: production\n`);
  }
}

/** A git repository with the policy, its bundle definition and a corpus (real reports plus variations) on main. */
export async function createFixtureRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-review-repo-'));
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.email', 'review@example.com');
  await git(dir, 'config', 'user.name', 'Review Test');
  await put(dir, 'bundles/image-scan.yaml', DEFINITION);
  await put(dir, 'policies/scan/decision.rego', decisionRego('CRITICAL'));
  await put(dir, 'policies/scan/decision_test.rego', DECISION_TEST);
  await mkdir(join(dir, 'corpus', 'reports'), { recursive: true });
  for (const f of (await readdir(REPORTS)).filter((f) => f.endsWith('.json'))) await cp(join(REPORTS, f), join(dir, 'corpus', 'reports', f));
  await writeVariations(join(dir, 'corpus'));
  await commitAll(dir, 'policies, bundle definition and corpus');
  return dir;
}

export async function put(dir: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

export async function commitAll(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
