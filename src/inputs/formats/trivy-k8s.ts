import { AppError } from '../../core/index.js';
import type { ParsedReport } from './report.js';
import { collectResults, emptyFindings } from './trivy-results.js';
import { firstImageRef, fromFindings, osTargets } from './trivy.js';
import { numberOrNull, rec, records, text, type Raw } from './values.js';

/**
 * The lists of workloads a `trivy k8s --format json` report can carry
 * (pkg/k8s/report): `Resources` since 0.42; before it `Vulnerabilities` and
 * `Misconfigurations`; `Findings` in the consolidated `--report summary`.
 */
export const K8S_RESOURCE_LISTS = ['Resources', 'Vulnerabilities', 'Misconfigurations', 'Findings'] as const;

/**
 * `trivy k8s --format json`, every layout. Each finding keeps its workload as
 * `resource`; the image is named only when every workload's OS result points
 * at the same one. A resource Trivy could not scan (`Error`) is a warning.
 */
export function parseTrivyK8s(raw: unknown, file: string): ParsedReport {
  const report = rec(raw);
  if (Array.isArray(report['SummaryControls'])) throw summaryOnly(file);
  const findings = emptyFindings();
  const resources: Raw[] = [];
  for (const list of K8S_RESOURCE_LISTS) {
    records(report[list]).forEach((r, i) => {
      resources.push(r);
      const resource = { kind: text(r['Kind']), namespace: text(r['Namespace']), name: text(r['Name']) };
      collectResults(records(r['Results']), `/${list}/${i}/Results`, findings, resource);
      const error = text(r['Error']);
      if (error !== null) {
        const name = [resource.namespace, resource.kind, resource.name].filter((p) => p !== null).join('/');
        findings.warnings.add('RESOURCE_NOT_SCANNED', `Trivy could not scan ${name}: ${error.split('\n')[0] ?? ''}`, `/${list}/${i}/Error`);
      }
    });
  }
  const refs = resources.map((r) => firstImageRef(osTargets(records(r['Results'])))).filter((r) => r !== null);
  const names = new Set(refs.map((r) => r.ref));
  const version = numberOrNull(report['SchemaVersion']);
  const parsed = fromFindings(findings, {
    formatVersion: version === null ? (Array.isArray(report['Resources']) ? null : 'legacy') : String(version),
    scannerVersion: null,
    created: null,
    image: names.size === 1 && refs[0] ? { ref: refs[0] } : {},
  });
  return { ...parsed, format: 'trivy-k8s', targets: parsed.targets + resources.length };
}

/** Compliance summaries (`--compliance … --report summary`) carry only counts per control: nothing to decide on. */
function summaryOnly(file: string): AppError {
  const message = `${file}: a Trivy summary report holds only counts, no findings to decide on; rerun Trivy with --report all --format json`;
  return new AppError('REPORT_UNSUPPORTED', message, { details: [{ file, path: '/SummaryControls', message: 'summary report: counts only' }] });
}
