// Stand-ins for the inventory's unit tests: an evaluator that decides like
// the policy library without Wasm, and engine settings with fast polling.
import {
  findingsHash,
  withHash,
  type Evaluator,
  type ImportDependencies,
  type InventoryEngine,
  type InventorySettings,
  type ServedRevision,
  type UnitOutcome,
  type UnitTask,
} from '../../src/inventory/index.js';
import type { RunningInventory } from '../../src/serve/inventory-server.js';
import type { FindingContent } from '../../src/store/index.js';

export const T0 = Date.parse('2026-03-01T00:00:00Z');
export const HOUR = 3_600_000;

/**
 * Stands in for the Wasm policy: a unit's findings depend on the revision,
 * the namespace's environment and the time, like the real library's do, and
 * every evaluation is counted.
 */
export class FakeEvaluator implements Evaluator {
  readonly calls: { unit: number; revision: string; now: string; environment: string | null }[] = [];

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[]): Promise<UnitOutcome[]> {
    return tasks.map((t) => {
      this.calls.push({ unit: t.unitId, revision: revision.revision, now: t.now, environment: t.metadata.environment });
      const findings: FindingContent[] = [finding(`base-${t.digest.slice(-4)}`, 'deny')];
      if (revision.revision === 'r2') findings.push(finding('tightened', 'deny'));
      if (Date.parse(t.now) >= T0 + 24 * HOUR) findings.push(finding('overdue', t.metadata.environment === 'prod' ? 'deny' : 'warn'));
      return { unitId: t.unitId, decision: 'deny', summary: 'fake', violations: findings.length, warnings: 0, findings, hash: findingsHash(findings), ms: 1 };
    });
  }

  warm(): void {}

  async close(): Promise<void> {}
}

export function finding(id: string, enforcement: 'deny' | 'warn'): FindingContent {
  return withHash({
    fingerprint: id,
    rule: 'vulnerability_severity',
    enforcement,
    state: 'open',
    severity: 'HIGH',
    severityRank: 4,
    vulnId: id,
    package: 'p',
    installedVersion: '1',
    fixedVersion: '2',
    fixable: true,
    published: null,
    score: null,
    title: '',
    message: id,
    exception: null,
  });
}

export const SETTINGS: InventorySettings = {
  admissionCluster: 'c1',
  context: { environmentLabel: 'env', namespaceLabels: {}, clusters: {} },
  unresolvedDigest: 'deny',
  unscanned: 'deny',
  tickIntervalMs: HOUR,
  tickCheckMs: 20,
  pollMs: 20,
  batchSize: 4,
  leaseMs: 60_000,
  eventsEnabled: false,
};

/** The server's view of an engine on cluster c1 with no admission or scan hooks, as the HTTP tests mount it. */
export function runningInventory(engine: InventoryEngine, imports: ImportDependencies, maxBodyBytes: number): RunningInventory {
  return {
    engine,
    imports,
    hooks: {
      verdicts: () => Promise.resolve([]),
      metadata: (ns) => engine.metadataFor('c1', ns),
      admitted: () => undefined,
      scanStored: () => undefined,
      clock: () => new Date(T0),
    },
    reportMaxResults: 1000,
    maxBodyBytes,
    close: () => engine.stop(),
  };
}
