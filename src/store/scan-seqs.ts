import { inList, listParam, num, sql, str, type Dialect, type Work } from './sql-runner.js';

/** The sequence number of each digest's newest scan, read without the scans themselves. */
export function* newestScanSeqs(d: Dialect, digests: readonly string[]): Work<Map<string, number>> {
  const rows = yield sql(`SELECT digest, MAX(seq) AS seq FROM scans WHERE ${inList(d, 'digest')} GROUP BY digest`, listParam(d, digests));
  return new Map(rows.map((r) => [str(r['digest']), num(r['seq'])]));
}
