import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EngineObserver } from '../inventory/index.js';
import type { FindingCount, InventoryStatus, InventoryStore } from '../store/index.js';

/** Scrapes within this long share one read of the store: counting open findings is a scan of an index. */
const FRESH_MS = 10_000;

export interface InventoryMetrics {
  readonly observer: EngineObserver;
  readonly delivered: (outcome: 'delivered' | 'retry' | 'dead') => void;
}

/**
 * Open findings by cluster, namespace, severity and enforcement, the
 * inventory's size and backlog, and re-evaluation timings, on the server's
 * /metrics.
 */
export function registerInventoryMetrics(registry: Registry, store: InventoryStore): InventoryMetrics {
  const counts = cached(() => store.findingCounts());
  const status = cached(() => store.status());
  new Gauge({
    name: 'portcullis_inventory_open_findings',
    help: 'Open findings of running containers, by cluster, namespace, severity and enforcement.',
    labelNames: ['cluster', 'namespace', 'severity', 'enforcement'] as const,
    registers: [registry],
    async collect() {
      const rows: FindingCount[] = await counts();
      this.reset();
      for (const r of rows) this.set({ cluster: r.cluster, namespace: r.namespace, severity: r.severity, enforcement: r.enforcement }, r.count);
    },
  });
  const fromStatus = (name: string, help: string, pick: (s: InventoryStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await status()));
      },
    });
  fromStatus('portcullis_inventory_running_containers', 'Running containers the inventory knows of.', (s) => s.running);
  fromStatus('portcullis_inventory_pending_units', 'Evaluation units (digest and namespace context) waiting to be decided.', (s) => s.pending_units);
  fromStatus('portcullis_inventory_webhook_outbox_pending', 'Change events not yet delivered to the webhook.', (s) => s.outbox_pending);
  const evaluation = new Histogram({
    name: 'portcullis_inventory_unit_evaluation_seconds',
    help: 'Time to decide one unit (one digest in one namespace context) with the image policy.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const lastPass = new Gauge({ name: 'portcullis_inventory_last_pass_seconds', help: 'Wall time of the last re-evaluation pass.', registers: [registry] });
  const lastPassUnits = new Gauge({
    name: 'portcullis_inventory_last_pass_units',
    help: 'Units decided in the last re-evaluation pass.',
    registers: [registry],
  });
  const evaluations = new Counter({ name: 'portcullis_inventory_evaluations_total', help: 'Units decided by this server.', registers: [registry] });
  const deliveries = new Counter({
    name: 'portcullis_inventory_webhook_deliveries_total',
    help: 'Change webhook delivery attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    observer: {
      unitEvaluated(ms) {
        evaluation.observe(ms / 1000);
        evaluations.inc();
      },
      passCompleted(seconds, units) {
        lastPass.set(seconds);
        lastPassUnits.set(units);
      },
    },
    delivered: (outcome) => deliveries.inc({ outcome }),
  };
}

function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > FRESH_MS) value = { at: Date.now(), promise: load() };
    return value.promise;
  };
}
