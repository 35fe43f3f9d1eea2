// Synthetic finding rows written with plain SQL (the same text in both dialects), for the tests of the kept summaries:
// they cover what the write path never does today (deleting findings, moving one between containers) and a store
// upgraded with findings already in it.
const T0 = Date.parse('2026-11-01T00:00:00Z');
const STATES = ['open', 'open', 'open', 'excepted', 'resolved'];
const NAMESPACES = ['prod-a', 'prod-b', 'dev-a'];

const quote = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v}'`);

/** INSERTs of `count` findings spread over 12 containers, 7 CVEs, every state, severity and enforcement; deterministic from `seed`. */
export function insertFindings(count: number, seed: number): string[] {
  return Array.from({ length: count }, (_, k) => {
    const row = findingRow(seed * 1000 + k);
    return `INSERT INTO inv_findings (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).map(quote).join(', ')})`;
  });
}

function findingRow(i: number): Record<string, string | number> {
  const container = i % 12;
  return {
    running_id: container + 1,
    fingerprint: `fp-${i}`,
    content_hash: `h-${i}`,
    state: STATES[i % STATES.length] as string,
    enforcement: i % 3 === 0 ? 'deny' : 'warn',
    rule: 'vulnerability_severity',
    severity: 'HIGH',
    severity_rank: i % 6,
    vuln_id: `CVE-2026-${i % 7}`,
    package: `pkg-${i % 4}`,
    installed_version: '1.0',
    fixed_version: '1.1',
    fixable: 1,
    age_anchor: T0,
    title: '',
    message: 'synthetic',
    cluster: 'c1',
    namespace: NAMESPACES[container % NAMESPACES.length] as string,
    environment: container % 3 === 2 ? 'dev' : 'prod',
    kind: 'Deployment',
    workload: `w${container % 5}`,
    container: `app${container}`,
    image: `registry.example.com/w${container % 5}:1`,
    repository: `registry.example.com/w${container % 5}`,
    digest: `sha256:${String(container % 4).repeat(64)}`,
    revision: 'r1',
    first_seen: T0,
    last_seen: T0,
  };
}

const FINDING_COLUMNS = Object.keys(findingRow(0));

/** Changes that move findings between every kind of group and state, then deletes some: each statement fires the triggers differently. */
export const CHANGE_FINDINGS: readonly string[] = [
  // Many findings of one (CVE, container) pair in one statement, as a pass writes them.
  `INSERT INTO inv_findings (${FINDING_COLUMNS.join(', ')})
     SELECT ${FINDING_COLUMNS.map((c) => (c === 'fingerprint' ? "fingerprint || '-copy'" : c)).join(', ')} FROM inv_findings WHERE id % 3 = 1`,
  `UPDATE inv_findings SET state = 'resolved' WHERE id % 5 = 1`,
  `UPDATE inv_findings SET enforcement = 'deny' WHERE id % 7 = 2`,
  `UPDATE inv_findings SET severity_rank = 5 WHERE id % 4 = 3`,
  `UPDATE inv_findings SET vuln_id = 'CVE-2026-99' WHERE id % 9 = 4`,
  `UPDATE inv_findings SET running_id = 3, namespace = 'prod-a', workload = 'w9' WHERE id % 11 = 5`,
  `UPDATE inv_findings SET message = 'only the message' WHERE id % 2 = 0`,
  `DELETE FROM inv_findings WHERE id % 6 = 0`,
  `DELETE FROM inv_findings WHERE vuln_id = 'CVE-2026-3'`,
];

const COUNT_KEYS = 'state, cluster, namespace, severity, enforcement';
const RANKS = [0, 1, 2, 3, 4, 5];

/** The kept finding counts, and the same counts aggregated afresh from the findings (the same text in both dialects). */
export const KEPT_COUNTS = `SELECT ${COUNT_KEYS}, findings, ${RANKS.map((r) => `r${r}`).join(', ')} FROM inv_finding_counts`;
export const FRESH_COUNTS = `SELECT ${COUNT_KEYS}, count(*) AS findings, ${RANKS.map((r) => `sum(CASE WHEN severity_rank = ${r} THEN 1 ELSE 0 END) AS r${r}`).join(', ')}
  FROM inv_findings GROUP BY ${COUNT_KEYS}`;

/** Count rows as sorted lines, without the rows every finding has left (they stay, at zero); PostgreSQL's BIGINTs arrive as strings. */
export function countLines(rows: readonly Record<string, unknown>[]): string[] {
  return rows
    .map((r) => ({ key: COUNT_KEYS.split(', ').map((k) => String(r[k])), counters: ['findings', ...RANKS.map((n) => `r${n}`)].map((c) => Number(r[c])) }))
    .filter((r) => r.counters.some((n) => n !== 0))
    .map((r) => `${r.key.join('/')}: ${r.counters.join(' ')}`)
    .sort();
}
