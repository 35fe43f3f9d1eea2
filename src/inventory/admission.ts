import type { InventoryWrite } from '../store/index.js';
import { contextOf } from './context.js';
import { contextsFor, runningSpec, type ImportDependencies } from './ingest.js';
import { planFindings } from './findings.js';
import { ownerOf, parseSnapshot } from './snapshot.js';

type Raw = Readonly<Record<string, unknown>>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Records what an admitted review starts or stops in the admission cluster:
 * a Pod's containers under its owning workload (through ownerReferences), a
 * workload template's containers (which then describe that workload
 * completely), and a deleted workload as gone. Dry runs and denied reviews
 * leave no trace; the caller does not wait for this.
 */
export async function recordAdmission(deps: ImportDependencies, review: unknown): Promise<void> {
  const request = rec(rec(review)['request']);
  const operation = str(request['operation']);
  if (request['dryRun'] === true || (operation !== 'CREATE' && operation !== 'UPDATE' && operation !== 'DELETE')) return;
  const raw = rec(operation === 'DELETE' ? request['oldObject'] : request['object']);
  const kind = str(raw['kind']);
  if (kind === undefined) return;
  const meta = rec(raw['metadata']);
  const namespace = str(meta['namespace']) ?? str(request['namespace']);
  if (namespace === undefined) return;
  // Pods made by controllers arrive with generateName only; the owner names them in the inventory.
  const name = str(meta['name']) ?? str(request['name']) ?? str(meta['generateName']) ?? '(generated)';
  const object = { ...raw, metadata: { ...meta, namespace, name } };
  const owner = ownerOf(object);
  const pod = kind === 'Pod';
  // One Pod of many says nothing about its siblings; a workload, or a Pod of its own, is the whole workload.
  const whole = !pod || owner.kind === 'Pod';
  if (operation === 'DELETE' && !whole) return;
  const engine = deps.engine;
  const parsed =
    operation === 'DELETE'
      ? { namespaces: [], running: [], reports: [], workloads: 1, warnings: [] }
      : parseSnapshot(Buffer.from(JSON.stringify({ kind: 'List', items: [object] })), 'admission review');
  if (parsed.workloads === 0) return;
  const cluster = engine.settings.admissionCluster;
  const contexts = await contextsFor(engine, cluster, parsed);
  if (!contexts.has(namespace)) contexts.set(namespace, contextOf(await engine.metadataFor(cluster, namespace)));
  const write: InventoryWrite = {
    cluster,
    source: 'admission',
    completeness: 'none',
    namespaces: [],
    running: parsed.running.map((item) => runningSpec(item, engine)),
    completeWorkloads: whole ? [{ namespace, kind: owner.kind, name: owner.name }] : [],
    contexts,
    at: engine.clock(),
    revision: deps.revision()?.revision ?? '',
  };
  await engine.store.inventory.applyWrite(write, planFindings, engine.settings.eventsEnabled);
  engine.inventoryChanged();
}
