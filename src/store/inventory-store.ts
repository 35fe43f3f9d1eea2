import { groupFindings, queryFindings } from './inventory-findings-sql.js';
import * as reads from './inventory-reads.js';
import { vulnerability } from './inventory-vulnerability.js';
import type {
  ClaimedUnit,
  ContextSpec,
  Delivery,
  DeliveryRecord,
  FindingCount,
  FindingTrendPoint,
  OpenFindingCount,
  FindingPage,
  FindingPlanner,
  FindingQuerySpec,
  FindingState,
  GroupPage,
  GroupQuerySpec,
  HistoryPruned,
  InventoryStatus,
  InventoryStore,
  InventoryWrite,
  InventoryWriteResult,
  OutboxItem,
  RunningDecisionCount,
  RunningRecord,
  UnitRecord,
  UnitResult,
  VulnerabilityView,
} from './inventory-types.js';
import { applyWrite, claimUnits, completeUnits, markDirty, updateContexts } from './inventory-writes.js';
import { NOTHING_PRUNED, pruneHistoryBatch } from './inventory-retention.js';
import { sql, type SqlRunner } from './sql-runner.js';

/** The inventory over either driver: the statements are shared, the runner decides how they run. */
export class SqlInventory implements InventoryStore {
  private readonly d;

  constructor(private readonly db: SqlRunner) {
    this.d = db.dialect;
  }

  knownCluster(name: string): Promise<boolean> {
    return this.db.read(() => reads.knownCluster(name));
  }

  namespaceLabels(cluster: string): Promise<ReadonlyMap<string, Readonly<Record<string, string>>>> {
    return this.db.read(() => reads.namespaceLabels(cluster));
  }

  namespaces(): Promise<readonly { cluster: string; name: string }[]> {
    return this.db.read(() => reads.namespaces());
  }

  applyWrite(write: InventoryWrite, planner: FindingPlanner, eventsEnabled: boolean): Promise<InventoryWriteResult> {
    return this.db.write(() => applyWrite(this.d, write, planner, eventsEnabled));
  }

  updateContexts(cluster: string, contexts: ReadonlyMap<string, ContextSpec>, at: Date, revision: string, planner: FindingPlanner): Promise<number> {
    return this.db.write(() => updateContexts(this.d, cluster, contexts, at.getTime(), revision, planner));
  }

  markDirty(scope: { readonly all: true } | { readonly digests: readonly string[] }, priority: number): Promise<number> {
    return this.db.write(() => markDirty(this.d, scope, priority));
  }

  claimUnits(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedUnit[]> {
    return this.db.write(() => claimUnits(this.d, owner, limit, leaseMs, now.getTime()));
  }

  scanInputs(seqs: readonly number[]): Promise<ReadonlyMap<number, string>> {
    return this.db.read(() => reads.scanInputs(this.d, seqs));
  }

  afterLargePass(): Promise<void> {
    return this.db.vacuum('inv_findings');
  }

  completeUnits(
    owner: string,
    items: readonly { readonly unit: ClaimedUnit; readonly result: UnitResult }[],
    planner: FindingPlanner,
    eventsEnabled: boolean,
  ): Promise<number[]> {
    return this.db.write(() => completeUnits(this.d, owner, items, planner, eventsEnabled));
  }

  async completeUnit(owner: string, unit: ClaimedUnit, result: UnitResult, planner: FindingPlanner, eventsEnabled: boolean): Promise<boolean> {
    return (await this.completeUnits(owner, [{ unit, result }], planner, eventsEnabled)).length === 1;
  }

  async releaseClaims(owner: string): Promise<void> {
    await this.db.write(function* () {
      yield sql('UPDATE inv_units SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?', owner);
      yield sql('UPDATE inv_outbox SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?', owner);
    });
  }

  /** In batches of their own transaction, so writers wait for one batch at most. */
  async pruneHistory(before: Date): Promise<HistoryPruned> {
    let total = NOTHING_PRUNED;
    for (;;) {
      const { more, ...batch } = await this.db.write(() => pruneHistoryBatch(this.d, before.getTime()));
      total = { containers: total.containers + batch.containers, findings: total.findings + batch.findings, events: total.events + batch.events };
      if (!more) return total;
    }
  }

  getState(key: string): Promise<string | undefined> {
    return this.db.read(() => reads.getState(key));
  }

  compareAndSetState(key: string, expected: string | undefined, value: string, dirtyPriority?: number): Promise<boolean> {
    const d = this.d;
    return this.db.write(function* () {
      const set = yield* reads.compareAndSetState(key, expected, value);
      if (set && dirtyPriority !== undefined) yield* markDirty(d, { all: true }, dirtyPriority);
      return set;
    });
  }

  queryFindings(spec: FindingQuerySpec): Promise<FindingPage> {
    return this.db.read(() => queryFindings(this.d, spec));
  }

  groupFindings(spec: GroupQuerySpec): Promise<GroupPage> {
    return this.db.read(() => groupFindings(this.d, spec));
  }

  vulnerability(id: string, states: readonly FindingState[], limit: number): Promise<VulnerabilityView | undefined> {
    return this.db.read(() => vulnerability(id, states, limit));
  }

  runningOf(
    filter: { readonly digest?: string; readonly cluster?: string; readonly namespace?: string; readonly live: boolean },
    limit: number,
  ): Promise<RunningRecord[]> {
    return this.db.read(() => reads.runningOf(filter, limit));
  }

  unitsOf(digest: string): Promise<UnitRecord[]> {
    return this.db.read(() => reads.unitsOf(digest));
  }

  unitFor(digest: string, contextKey: string): Promise<UnitRecord | undefined> {
    return this.db.read(() => reads.unitFor(digest, contextKey));
  }

  status(): Promise<InventoryStatus> {
    return this.db.read(() => reads.status());
  }

  findingCounts(): Promise<FindingCount[]> {
    return this.db.read(() => reads.findingCounts());
  }

  runningByDecision(): Promise<RunningDecisionCount[]> {
    return this.db.read(() => reads.runningByDecision());
  }

  denyTrend(now: Date, days: number): Promise<FindingTrendPoint[]> {
    return this.db.read(() => reads.denyTrend(now.getTime(), days));
  }

  openFindingSummary(): Promise<OpenFindingCount[]> {
    return this.db.read(() => reads.openFindingSummary());
  }

  claimOutbox(owner: string, limit: number, leaseMs: number, now: Date): Promise<OutboxItem[]> {
    return this.db.write(() => reads.claimOutbox(this.d, owner, limit, leaseMs, now.getTime()));
  }

  recordDelivery(owner: string, record: DeliveryRecord): Promise<void> {
    return this.db.write(() => reads.recordDelivery(owner, record));
  }

  deliveries(outboxId?: number): Promise<Delivery[]> {
    return this.db.read(() => reads.deliveries(outboxId));
  }
}
