// Findings summed per container and per vulnerability as the findings change, so the groupings by workload, namespace,
// image and CVE read a few thousand kept rows instead of aggregating every finding on each request. Like the counts of
// inventory-counts.ts, triggers on inv_findings keep them in the same transaction as every write, whichever statement
// makes it. Rows whose count falls to zero stay (a container or CVE often comes back) and are skipped by the readers.

import { anyChanged, isOne, postgresInsertDeleteTriggers, SEVERITY_RANKS } from './inventory-counts.js';

/** What a container's findings are summed by: every column a finding copies from its container, so filters on them still apply. */
const CONTAINER_KEYS = ['state', 'running_id', 'cluster', 'namespace', 'environment', 'kind', 'workload', 'repository', 'digest'] as const;
const VULN_KEYS = ['state', 'vuln_id'] as const;
const PAIR_KEYS = ['state', 'vuln_id', 'running_id'] as const;
const TEXT_KEYS = new Set(['state', 'cluster', 'namespace', 'environment', 'kind', 'workload', 'repository', 'digest', 'vuln_id']);

/** The counters of a summary row and what one finding `row` adds to each. */
const COUNTERS = (row: string) =>
  [
    ['findings', '1'],
    ['deny', isOne(`${row}.enforcement = 'deny'`)],
    ...SEVERITY_RANKS.map((r) => [`r${r}`, isOne(`${row}.severity_rank = ${r}`)] as const),
  ] as const;
const match = (keys: readonly string[], row: string) => keys.map((k) => `${k} = ${row}.${k}`).join(' AND ');
const columnsOf = (keys: readonly string[], big: string) => keys.map((k) => `${k} ${TEXT_KEYS.has(k) ? 'TEXT' : big} NOT NULL`).join(',\n     ');

function tables(big: string): string {
  const counters = COUNTERS('x')
    .map(([c]) => `${c} ${big} NOT NULL`)
    .join(',\n     ');
  return `CREATE TABLE inv_container_rollup (
     ${columnsOf(CONTAINER_KEYS, big)},
     ${counters},
     PRIMARY KEY (${CONTAINER_KEYS.join(', ')})
   );
   CREATE TABLE inv_vuln_containers (
     ${columnsOf(PAIR_KEYS, big)},
     findings ${big} NOT NULL,
     PRIMARY KEY (${PAIR_KEYS.join(', ')})
   );
   CREATE TABLE inv_vuln_rollup (
     ${columnsOf(VULN_KEYS, big)},
     ${counters},
     containers ${big} NOT NULL,
     PRIMARY KEY (${VULN_KEYS.join(', ')})
   );`;
}

const counterNames = COUNTERS('x').map(([c]) => c);

function upsert(table: string, keys: readonly string[], row: string, extra: readonly (readonly [string, string])[] = []): string {
  const counters = [...COUNTERS(row), ...extra];
  return `INSERT INTO ${table} (${keys.join(', ')}, ${counters.map(([c]) => c).join(', ')})
       VALUES (${keys.map((k) => `${row}.${k}`).join(', ')}, ${counters.map(([, v]) => v).join(', ')})
       ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${counters.map(([c]) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;
}

function subtract(table: string, keys: readonly string[], row: string, extra: readonly (readonly [string, string])[] = []): string {
  return `UPDATE ${table} SET ${[...COUNTERS(row), ...extra].map(([c, v]) => `${c} = ${c} - ${v}`).join(', ')} WHERE ${match(keys, row)}`;
}

/** 1 when `row`'s (state, CVE, container) pair holds exactly one finding: after an insert it is new, before a delete it goes. */
const pairIsOne = (row: string) =>
  `(SELECT ${isOne('p.findings = 1')} FROM inv_vuln_containers p WHERE ${PAIR_KEYS.map((k) => `p.${k} = ${row}.${k}`).join(' AND ')})`;

/** Counts `row` (NEW) in, in this order: the pair first, so the CVE's containers see whether it is new. */
const addContainer = (row: string) => upsert('inv_container_rollup', CONTAINER_KEYS, row);
const addVuln = (
  row: string,
) => `INSERT INTO inv_vuln_containers (${PAIR_KEYS.join(', ')}, findings) VALUES (${PAIR_KEYS.map((k) => `${row}.${k}`).join(', ')}, 1)
       ON CONFLICT (${PAIR_KEYS.join(', ')}) DO UPDATE SET findings = inv_vuln_containers.findings + 1;
     ${upsert('inv_vuln_rollup', VULN_KEYS, row, [['containers', pairIsOne(row)]])}`;
/** Counts `row` (OLD) out: the CVE first, while the pair still says whether it is the container's last finding of it. */
const removeContainer = (row: string) => subtract('inv_container_rollup', CONTAINER_KEYS, row);
const removeVuln = (row: string) => `${subtract('inv_vuln_rollup', VULN_KEYS, row, [['containers', pairIsOne(row)]])};
     UPDATE inv_vuln_containers SET findings = findings - 1 WHERE ${match(PAIR_KEYS, row)}`;

/** An update that changes none of a summary's columns leaves it alone (most rewrites change only message, revision or times). */
const CONTAINER_COLUMNS = [...CONTAINER_KEYS, 'enforcement', 'severity_rank'];
const VULN_COLUMNS = [...PAIR_KEYS, 'enforcement', 'severity_rank'];

/** Sums what is already stored, so a store upgraded with findings starts with summaries equal to them. */
function backfill(): string {
  const sums = (row: string) => COUNTERS(row).map(([c, v]) => (c === 'findings' ? 'count(*)' : `sum(${v})`));
  return `INSERT INTO inv_container_rollup (${CONTAINER_KEYS.join(', ')}, ${counterNames.join(', ')})
     SELECT ${CONTAINER_KEYS.map((k) => `f.${k}`).join(', ')}, ${sums('f').join(', ')} FROM inv_findings f GROUP BY ${CONTAINER_KEYS.map((k) => `f.${k}`).join(', ')};
   INSERT INTO inv_vuln_containers (${PAIR_KEYS.join(', ')}, findings)
     SELECT ${PAIR_KEYS.map((k) => `f.${k}`).join(', ')}, count(*) FROM inv_findings f GROUP BY ${PAIR_KEYS.map((k) => `f.${k}`).join(', ')};
   INSERT INTO inv_vuln_rollup (${VULN_KEYS.join(', ')}, ${counterNames.join(', ')}, containers)
     SELECT ${VULN_KEYS.map((k) => `f.${k}`).join(', ')}, ${sums('f').join(', ')}, count(DISTINCT f.running_id) FROM inv_findings f
     GROUP BY ${VULN_KEYS.map((k) => `f.${k}`).join(', ')};`;
}

/** The tables, their backfill and their triggers: part of a released migration once shipped, so never edited; a change is a new migration. */
export function sqliteRollupsMigration(): string {
  return `${tables('INTEGER')}
   ${backfill()}
   CREATE TRIGGER inv_findings_rollup_insert AFTER INSERT ON inv_findings BEGIN
     ${addContainer('NEW')};
     ${addVuln('NEW')};
   END;
   CREATE TRIGGER inv_findings_rollup_delete AFTER DELETE ON inv_findings BEGIN
     ${removeContainer('OLD')};
     ${removeVuln('OLD')};
   END;
   CREATE TRIGGER inv_findings_rollup_container_update AFTER UPDATE OF ${CONTAINER_COLUMNS.join(', ')} ON inv_findings
     WHEN ${anyChanged(CONTAINER_COLUMNS, 'IS NOT')} BEGIN
     ${removeContainer('OLD')};
     ${addContainer('NEW')};
   END;
   CREATE TRIGGER inv_findings_rollup_vuln_update AFTER UPDATE OF ${VULN_COLUMNS.join(', ')} ON inv_findings
     WHEN ${anyChanged(VULN_COLUMNS, 'IS NOT')} BEGIN
     ${removeVuln('OLD')};
     ${addVuln('NEW')};
   END;`;
}

export function postgresRollupsMigration(): string {
  const fn = (name: string, remove: string, add: string) => `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $rollup$
   BEGIN
     IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
       ${remove};
     END IF;
     IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
       ${add};
     END IF;
     RETURN NULL;
   END
   $rollup$;`;
  return `${tables('BIGINT')}
   ${backfill()}
   ${fn('inv_findings_rollup_container', removeContainer('OLD'), addContainer('NEW'))}
   ${fn('inv_findings_rollup_vuln', removeVuln('OLD'), addVuln('NEW'))}
   CREATE TRIGGER inv_findings_rollup_container_rows AFTER INSERT OR DELETE ON inv_findings FOR EACH ROW EXECUTE FUNCTION inv_findings_rollup_container();
   CREATE TRIGGER inv_findings_rollup_container_update AFTER UPDATE OF ${CONTAINER_COLUMNS.join(', ')} ON inv_findings
     FOR EACH ROW WHEN (${anyChanged(CONTAINER_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION inv_findings_rollup_container();
   CREATE TRIGGER inv_findings_rollup_vuln_rows AFTER INSERT OR DELETE ON inv_findings FOR EACH ROW EXECUTE FUNCTION inv_findings_rollup_vuln();
   CREATE TRIGGER inv_findings_rollup_vuln_update AFTER UPDATE OF ${VULN_COLUMNS.join(', ')} ON inv_findings
     FOR EACH ROW WHEN (${anyChanged(VULN_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION inv_findings_rollup_vuln();`;
}

/** The sums of `COUNTERS` over signed rows `r`, in `COUNTERS` order. */
const signedSums = () => COUNTERS('r').map(([c, v]) => [c, `sum(r.sign * ${v})`] as const);
const nonZero = (sums: readonly (readonly [string, string])[]) => sums.map(([, s]) => `${s} <> 0`).join(' OR ');
const addExcluded = (table: string, columns: readonly string[]) => columns.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ');

/** Adds a statement's signed rows to the containers' summaries, in key order (concurrent writers lock rows in one order). */
function foldContainers(source: string): string {
  const sums = signedSums();
  return `INSERT INTO inv_container_rollup (${CONTAINER_KEYS.join(', ')}, ${counterNames.join(', ')})
       SELECT ${CONTAINER_KEYS.join(', ')}, ${sums.map(([, s]) => s).join(', ')} FROM (${source}) r
       GROUP BY ${CONTAINER_KEYS.join(', ')} HAVING ${nonZero(sums)}
       ORDER BY ${CONTAINER_KEYS.join(', ')}
       ON CONFLICT (${CONTAINER_KEYS.join(', ')}) DO UPDATE SET ${addExcluded('inv_container_rollup', counterNames)}`;
}

/**
 * Adds a statement's signed rows to the (CVE, container) pairs and to the
 * CVEs' summaries. A CVE's containers change by the pairs whose findings went
 * from none to some (+1) or from some to none (-1): the pairs' upsert returns
 * each pair's new count, and its old count is that less the statement's delta.
 */
function foldVulns(source: string): string {
  const sums = signedSums();
  const pair = PAIR_KEYS.join(', ');
  return `WITH r AS (${source}),
     pairs AS (SELECT ${pair}, sum(r.sign) AS delta FROM r GROUP BY ${pair} HAVING sum(r.sign) <> 0),
     applied AS (
       INSERT INTO inv_vuln_containers (${pair}, findings) SELECT ${pair}, delta FROM pairs ORDER BY ${pair}
       ON CONFLICT (${pair}) DO UPDATE SET findings = inv_vuln_containers.findings + excluded.findings
       RETURNING ${pair}, findings),
     containers AS (
       SELECT a.state, a.vuln_id, sum(${isOne('a.findings > 0')} - ${isOne('a.findings - p.delta > 0')}) AS delta
       FROM applied a JOIN pairs p USING (${pair}) GROUP BY a.state, a.vuln_id),
     sums AS (SELECT ${VULN_KEYS.join(', ')}, ${sums.map(([c, s]) => `${s} AS ${c}`).join(', ')} FROM r GROUP BY ${VULN_KEYS.join(', ')})
     INSERT INTO inv_vuln_rollup (${VULN_KEYS.join(', ')}, ${counterNames.join(', ')}, containers)
       SELECT ${VULN_KEYS.map((k) => `s.${k}`).join(', ')}, ${counterNames.map((c) => `s.${c}`).join(', ')}, coalesce(c.delta, 0)
       FROM sums s LEFT JOIN containers c USING (${VULN_KEYS.join(', ')})
       WHERE ${[...counterNames.map((c) => `s.${c} <> 0`), 'coalesce(c.delta, 0) <> 0'].join(' OR ')}
       ORDER BY ${VULN_KEYS.map((k) => `s.${k}`).join(', ')}
       ON CONFLICT (${VULN_KEYS.join(', ')}) DO UPDATE SET ${addExcluded('inv_vuln_rollup', [...counterNames, 'containers'])}`;
}

/**
 * Inserts and deletes summed once per statement instead of once per row
 * (postgresInsertDeleteTriggers); updates keep the row triggers above, which
 * fire only when a summarized column changes.
 */
export function postgresStatementRollupsMigration(): string {
  return `DROP TRIGGER inv_findings_rollup_container_rows ON inv_findings;
   DROP TRIGGER inv_findings_rollup_vuln_rows ON inv_findings;
   ${postgresInsertDeleteTriggers('inv_findings_rollup_container', CONTAINER_COLUMNS, foldContainers)}
   ${postgresInsertDeleteTriggers('inv_findings_rollup_vuln', VULN_COLUMNS, foldVulns)}`;
}
