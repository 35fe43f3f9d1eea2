// The inventory's history, pruned: containers gone, findings resolved and
// webhook events finished before a cut-off. Without it the tables only grow:
// every rollout replaces pods, and each replaced container leaves its
// findings behind, resolved, hundreds per image.
import type { HistoryPruned } from './inventory-types.js';
import { inList, listParam, num, sql, type Dialect, type Work } from './sql-runner.js';

/** Containers per transaction: each takes its findings (hundreds) with it, so a first prune of a long history never holds the write lock for long. */
const CONTAINER_BATCH = 50;
/** Findings, or webhook events, per transaction. */
const ROW_BATCH = 5000;

export const NOTHING_PRUNED: HistoryPruned = { containers: 0, findings: 0, events: 0 };

/**
 * One batch, before `before`: containers gone then with the findings they
 * left (resolved when they went) and their rows in the rollups; findings of
 * running containers resolved then (their rollup rows stay, at zero, for the
 * findings that come back); webhook events delivered or given up on then,
 * with their attempts. `more` says whether a batch was full.
 */
export function* pruneHistoryBatch(d: Dialect, before: number): Work<HistoryPruned & { readonly more: boolean }> {
  const gone = yield sql(
    `SELECT r.id FROM inv_running r WHERE r.gone_at IS NOT NULL AND r.gone_at < ?
       AND NOT EXISTS (SELECT 1 FROM inv_findings f WHERE f.running_id = r.id AND f.state <> 'resolved')
     ORDER BY r.gone_at LIMIT ?`,
    before,
    CONTAINER_BATCH,
  );
  const containers =
    gone.length > 0
      ? yield* pruneContainers(
          d,
          gone.map((r) => num(r['id'])),
          before,
        )
      : { containers: 0, findings: 0 };
  // SQLite, without statistics, would walk every resolved finding through an index led by the state.
  const byResolution = d === 'sqlite' ? 'inv_findings INDEXED BY inv_findings_resolved' : 'inv_findings';
  const resolved = yield sql(
    `DELETE FROM inv_findings WHERE id IN (SELECT id FROM ${byResolution} WHERE state = 'resolved' AND resolved_at < ? ORDER BY resolved_at LIMIT ?) RETURNING id`,
    before,
    ROW_BATCH,
  );
  const events = yield sql(
    `DELETE FROM inv_outbox WHERE id IN (SELECT id FROM inv_outbox WHERE delivered_at < ? OR dead_at < ? ORDER BY id LIMIT ?) RETURNING id`,
    before,
    before,
    ROW_BATCH,
  );
  if (events.length > 0)
    yield sql(
      `DELETE FROM inv_deliveries WHERE ${inList(d, 'outbox_id')}`,
      listParam(
        d,
        events.map((e) => num(e['id'])),
      ),
    );
  return {
    containers: containers.containers,
    findings: containers.findings + resolved.length,
    events: events.length,
    more: gone.length === CONTAINER_BATCH || resolved.length === ROW_BATCH || events.length === ROW_BATCH,
  };
}

/**
 * Deletes gone containers with their resolved findings, their rollup rows
 * and the evaluation units no other container uses.
 * Each is checked again as it is deleted: one that came back meanwhile, or
 * got a finding that is not resolved, stays.
 */
function* pruneContainers(d: Dialect, ids: readonly number[], before: number): Work<{ readonly containers: number; readonly findings: number }> {
  const findings = yield sql(`DELETE FROM inv_findings WHERE ${inList(d, 'running_id')} AND state = 'resolved' RETURNING id`, listParam(d, ids));
  const rows = yield sql(
    `DELETE FROM inv_running WHERE ${inList(d, 'id')} AND gone_at < ? AND NOT EXISTS (SELECT 1 FROM inv_findings f WHERE f.running_id = inv_running.id)
     RETURNING id, unit_id`,
    listParam(d, ids),
    before,
  );
  if (rows.length > 0) {
    const list = listParam(
      d,
      rows.map((r) => num(r['id'])),
    );
    // A container's rollup rows in every state: its findings are gone, but the rows, at zero, still name it.
    yield sql(`DELETE FROM inv_container_rollup WHERE state IN ('open', 'excepted', 'resolved') AND ${inList(d, 'running_id')}`, list);
    yield sql(`DELETE FROM inv_vuln_containers WHERE ${inList(d, 'running_id')}`, list);
    // A unit no container uses any more would stay queued after every new revision, and every claim would step over it.
    const units = [...new Set(rows.flatMap((r) => (r['unit_id'] === null ? [] : [num(r['unit_id'])])))];
    if (units.length > 0) {
      yield sql(
        `DELETE FROM inv_units WHERE ${inList(d, 'id')} AND NOT EXISTS (SELECT 1 FROM inv_running r WHERE r.unit_id = inv_units.id)`,
        listParam(d, units),
      );
    }
  }
  return { containers: rows.length, findings: findings.length };
}
