import type { ParsedReport } from './report.js';
import { collectResults, emptyFindings } from './trivy-results.js';
import { firstImageRef, fromFindings, osTargets } from './trivy.js';
import { rec, records, text } from './values.js';

/**
 * `trivy k8s --format json`: results per workload. Each finding keeps its
 * workload as `resource`; the image is named only when every workload's OS
 * result points at the same one.
 */
export function parseTrivyK8s(raw: unknown): ParsedReport {
  const report = rec(raw);
  const findings = emptyFindings();
  const resources = records(report['Resources']);
  resources.forEach((r, i) => {
    const resource = { kind: text(r['Kind']), namespace: text(r['Namespace']), name: text(r['Name']) };
    collectResults(records(r['Results']), `/Resources/${i}/Results`, findings, resource);
  });
  const refs = resources.map((r) => firstImageRef(osTargets(records(r['Results'])))).filter((r) => r !== null);
  const names = new Set(refs.map((r) => r.ref));
  const parsed = fromFindings(findings, {
    formatVersion: null,
    scannerVersion: null,
    created: null,
    image: names.size === 1 && refs[0] ? { ref: refs[0] } : {},
  });
  return { ...parsed, format: 'trivy-k8s' };
}
