// Open findings counted per cluster, namespace, severity and enforcement as
// the findings change, so the console's overview and the /metrics gauges read
// a few thousand rows instead of grouping every finding. Triggers on
// inv_findings keep the counts in the same transaction as every write,
// whichever statement makes it, so no write path has to remember them.

/** The columns a count is kept per (besides the state), and the severity ranks counted apart for the overview's chart. */
const KEYS = ['cluster', 'namespace', 'severity', 'enforcement'] as const;
export const SEVERITY_RANKS = [0, 1, 2, 3, 4, 5] as const;
/** An update that changes none of these leaves the counts alone (most rewrites change only message, revision or times). */
const COUNTED_COLUMNS = ['state', ...KEYS, 'severity_rank'];

/** 1 when `condition` holds, else 0: a counter's increment in SQL both stores take. */
export const isOne = (condition: string) => `CASE WHEN ${condition} THEN 1 ELSE 0 END`;
const COUNTERS = (row: string) => [['findings', '1'], ...SEVERITY_RANKS.map((r) => [`r${r}`, isOne(`${row}.severity_rank = ${r}`)] as const)] as const;
const KEY_MATCH = (row: string) => `state = ${row}.state AND ${KEYS.map((k) => `${k} = ${row}.${k}`).join(' AND ')}`;

const table = (big: string) => `CREATE TABLE inv_finding_counts (
     state TEXT NOT NULL,
     ${KEYS.map((k) => `${k} TEXT NOT NULL`).join(',\n     ')},
     ${COUNTERS('x')
       .map(([c]) => `${c} ${big} NOT NULL`)
       .join(',\n     ')},
     PRIMARY KEY (state, ${KEYS.join(', ')})
   );`;

/** Counts `row` (NEW) in. */
function add(row: string): string {
  const counters = COUNTERS(row);
  return `INSERT INTO inv_finding_counts (state, ${KEYS.join(', ')}, ${counters.map(([c]) => c).join(', ')})
       VALUES (${row}.state, ${KEYS.map((k) => `${row}.${k}`).join(', ')}, ${counters.map(([, v]) => v).join(', ')})
       ON CONFLICT (state, ${KEYS.join(', ')}) DO UPDATE SET ${counters.map(([c]) => `${c} = inv_finding_counts.${c} + excluded.${c}`).join(', ')}`;
}

/** Counts `row` (OLD) out. */
function remove(row: string): string {
  return `UPDATE inv_finding_counts SET ${COUNTERS(row)
    .map(([c, v]) => `${c} = ${c} - ${v}`)
    .join(', ')} WHERE ${KEY_MATCH(row)}`;
}

/** Counts what is already stored, so a store upgraded with findings starts with counts equal to them. */
function backfill(): string {
  const counters = COUNTERS('f');
  return `INSERT INTO inv_finding_counts (state, ${KEYS.join(', ')}, ${counters.map(([c]) => c).join(', ')})
     SELECT f.state, ${KEYS.map((k) => `f.${k}`).join(', ')}, ${counters.map(([, v]) => (v === '1' ? 'count(*)' : `sum(${v})`)).join(', ')}
     FROM inv_findings f GROUP BY f.state, ${KEYS.map((k) => `f.${k}`).join(', ')}`;
}

/** An update trigger's condition: any of `columns` differs between OLD and NEW (`op` is the dialect's null-safe inequality). */
export const anyChanged = (columns: readonly string[], op: string) => columns.map((c) => `OLD.${c} ${op} NEW.${c}`).join(' OR ');

/** The table, its backfill and its triggers: part of a released migration, so never edited; a change is a new migration. */
export function sqliteCountsMigration(): string {
  return `${table('INTEGER')}
   ${backfill()};
   CREATE TRIGGER inv_findings_count_insert AFTER INSERT ON inv_findings BEGIN
     ${add('NEW')};
   END;
   CREATE TRIGGER inv_findings_count_delete AFTER DELETE ON inv_findings BEGIN
     ${remove('OLD')};
   END;
   CREATE TRIGGER inv_findings_count_update AFTER UPDATE OF ${COUNTED_COLUMNS.join(', ')} ON inv_findings WHEN ${anyChanged(COUNTED_COLUMNS, 'IS NOT')} BEGIN
     ${remove('OLD')};
     ${add('NEW')};
   END;`;
}

export function postgresCountsMigration(): string {
  return `${table('BIGINT')}
   ${backfill()};
   CREATE FUNCTION inv_findings_count() RETURNS trigger LANGUAGE plpgsql AS $count$
   BEGIN
     IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
       ${remove('OLD')};
     END IF;
     IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
       ${add('NEW')};
     END IF;
     RETURN NULL;
   END
   $count$;
   CREATE TRIGGER inv_findings_count_rows AFTER INSERT OR DELETE ON inv_findings FOR EACH ROW EXECUTE FUNCTION inv_findings_count();
   CREATE TRIGGER inv_findings_count_update AFTER UPDATE OF ${COUNTED_COLUMNS.join(', ')} ON inv_findings
     FOR EACH ROW WHEN (${anyChanged(COUNTED_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION inv_findings_count();`;
}

/**
 * Rows of a transition table as signed count deltas: `sign` is 1 for rows
 * counted in (NEW TABLE), -1 for rows counted out (OLD TABLE).
 */
const deltas = (rows: string, sign: 1 | -1) =>
  `SELECT state, ${KEYS.join(', ')}, ${COUNTERS(rows)
    .map(([c, v]) => `${sign} * ${v} AS ${c}`)
    .join(', ')} FROM ${rows}`;

/** Adds the summed deltas of `source` to the counts, in key order (concurrent writers take the count rows' locks in one order). */
function applyDeltas(source: string): string {
  const counters = COUNTERS('x').map(([c]) => c);
  return `INSERT INTO inv_finding_counts (state, ${KEYS.join(', ')}, ${counters.join(', ')})
       SELECT state, ${KEYS.join(', ')}, ${counters.map((c) => `sum(${c})`).join(', ')} FROM (${source}) x
       GROUP BY state, ${KEYS.join(', ')}
       HAVING ${counters.map((c) => `sum(${c}) <> 0`).join(' OR ')}
       ORDER BY state, ${KEYS.join(', ')}
       ON CONFLICT (state, ${KEYS.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = inv_finding_counts.${c} + excluded.${c}`).join(', ')}`;
}

/**
 * PostgreSQL counts once per statement instead of once per row: a pass
 * rewrites hundreds of thousands of findings in statements of thousands of
 * rows, and a PL/pgSQL call and a counts upsert per row cost more than the
 * write itself. Statement triggers see the statement's rows as transition
 * tables (one trigger per event: an UPDATE trigger with transition tables
 * takes no column list, so rewrites that change no counted column add up to
 * zero and write nothing). Replaces the row triggers of the counts'
 * migration; the counts themselves are unchanged.
 */
export function postgresStatementCountsMigration(): string {
  const fn = (name: string, source: string) => `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $count$
   BEGIN
     ${applyDeltas(source)};
     RETURN NULL;
   END
   $count$;`;
  return `DROP TRIGGER inv_findings_count_rows ON inv_findings;
   DROP TRIGGER inv_findings_count_update ON inv_findings;
   DROP FUNCTION inv_findings_count();
   ${fn('inv_findings_count_inserted', deltas('new_rows', 1))}
   ${fn('inv_findings_count_deleted', deltas('old_rows', -1))}
   ${fn('inv_findings_count_updated', `${deltas('new_rows', 1)} UNION ALL ${deltas('old_rows', -1)}`)}
   CREATE TRIGGER inv_findings_count_insert AFTER INSERT ON inv_findings REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION inv_findings_count_inserted();
   CREATE TRIGGER inv_findings_count_delete AFTER DELETE ON inv_findings REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION inv_findings_count_deleted();
   CREATE TRIGGER inv_findings_count_update AFTER UPDATE ON inv_findings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION inv_findings_count_updated();`;
}

/**
 * PostgreSQL statement triggers on inv_findings for inserts and deletes, named
 * after `name`: a pass writes hundreds of thousands of findings in statements
 * of thousands of rows, and a PL/pgSQL call and an upsert per row cost more
 * than the write itself. `fold(source)` is the statement that adds a
 * statement's rows to a summary; `source` selects their `columns` with a
 * `sign`, 1 for a row counted in and -1 for a row counted out. Updates keep
 * row triggers that fire only when a summarized column changes: most
 * rewrites change only message, revision or times, and an update trigger
 * with transition tables would copy every rewritten row to see that.
 */
export function postgresInsertDeleteTriggers(name: string, columns: readonly string[], fold: (source: string) => string): string {
  const fn = (suffix: string, source: string) => `CREATE FUNCTION ${name}_${suffix}() RETURNS trigger LANGUAGE plpgsql AS $fold$
   BEGIN
     ${fold(source)};
     RETURN NULL;
   END
   $fold$;`;
  return `${fn('inserted', `SELECT 1 AS sign, ${columns.join(', ')} FROM new_rows`)}
   ${fn('deleted', `SELECT -1 AS sign, ${columns.join(', ')} FROM old_rows`)}
   CREATE TRIGGER ${name}_insert AFTER INSERT ON inv_findings REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION ${name}_inserted();
   CREATE TRIGGER ${name}_delete AFTER DELETE ON inv_findings REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION ${name}_deleted();`;
}

/**
 * The counts' update trigger back to a row trigger that fires only when a
 * counted column changes (see postgresInsertDeleteTriggers): the statement
 * trigger of the previous version grouped every rewritten row twice to sum
 * to zero. Inserts and deletes stay statement triggers.
 */
export function postgresChangedCountsMigration(): string {
  return `DROP TRIGGER inv_findings_count_update ON inv_findings;
   DROP FUNCTION inv_findings_count_updated();
   CREATE FUNCTION inv_findings_count_changed() RETURNS trigger LANGUAGE plpgsql AS $count$
   BEGIN
     ${remove('OLD')};
     ${add('NEW')};
     RETURN NULL;
   END
   $count$;
   CREATE TRIGGER inv_findings_count_update AFTER UPDATE OF ${COUNTED_COLUMNS.join(', ')} ON inv_findings
     FOR EACH ROW WHEN (${anyChanged(COUNTED_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION inv_findings_count_changed();`;
}
