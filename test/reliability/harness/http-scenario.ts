import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../../helpers/processes.js';
import { fuzzHttp } from './http-fuzz.js';
import { fuzzTargets } from './samples.js';
import { builtBundles, info, MB, mustBeZero, spawnServe, type Figure } from './support.js';

export interface HttpFuzzSize {
  readonly perEndpoint: number;
  readonly concurrency: number;
  readonly hugeBytes: number;
  readonly bombBytes: number;
  readonly seed: number;
  /**
   * Whether the resident size after the run is held to its threshold, or only
   * printed. The JavaScript heaps return to their baseline, but glibc's
   * allocator keeps part of the native peak in its per-thread arenas; at CI
   * size the figure lands within about 10 MB of its threshold (484 of 494 MB),
   * too close for a gate on a shared machine, so CI prints it and the bench
   * size (bench/reliability.ts) holds it.
   */
  readonly enforceMemoryAfter: boolean;
}

/** Memory the server may keep after the run, over its resident size before it: its heaps and the allocator keep some of the peak. */
const KEPT_MB = 300;

/**
 * `portcullis serve` over the repository's bundles, fuzzed on every endpoint
 * (http-fuzz.ts); figures: requests, 5xx, hangs, crashes, and resident
 * memory before, at its peak, and once the run is over.
 */
export async function httpFuzzScenario(size: HttpFuzzSize): Promise<Figure[]> {
  const { dir } = await builtBundles();
  const config = join(dir, 'portcullis.yaml');
  // Short timeouts, so stalled clients are dropped within the run.
  await writeFile(config, 'server:\n  timeouts:\n    headers_seconds: 2\n    request_seconds: 5\n    idle_seconds: 2\n');
  const server = await spawnServe(dir, ['--config', config, '--dir', join(dir, 'bundles')]);
  try {
    const targets = await fuzzTargets();
    // Warm up every route with valid requests first, so the baseline holds the loaded policies.
    for (let i = 0; i < 3; i += 1) {
      for (const t of targets) {
        await fetch(`${server.url}${t.path}`, {
          method: t.method,
          ...(t.body === undefined ? {} : { body: JSON.stringify(t.body), headers: { 'Content-Type': 'application/json' } }),
        }).then((r) => r.arrayBuffer());
      }
    }
    const baseline = server.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 100);
    const result = await fuzzHttp(server, targets, { ...size, deadlineMs: 20_000 });
    clearInterval(sampler);
    const after = result.crashed
      ? 0
      : await waitFor(
          () => {
            const rss = server.rss();
            return rss <= baseline + KEPT_MB * MB ? rss : undefined;
          },
          60_000,
          () => '',
        ).catch(() => server.rss());
    const counts = Object.values(result.perTarget);
    const slowest = Object.entries(result.msByKind)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    console.log(`slowest (target, kind: seconds):\n  ${slowest.map(([k, ms]) => `${k}: ${(ms / 1000).toFixed(1)}`).join('\n  ')}`);
    const metrics = await fetch(`${server.url}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    console.log(
      metrics
        .split('\n')
        .filter((l) => /^portcullis_(process_resident|nodejs_heap_size_total|nodejs_heap_size_used|nodejs_external_memory)/.test(l))
        .join('\n'),
    );
    const failures = result.failures.slice(0, 5).map((f) => `${f.target} ${f.kind} ${f.status} ${f.detail}`);
    if (failures.length > 0) console.log(`first failures:\n  ${failures.join('\n  ')}`);
    return [
      info('endpoints', counts.length),
      {
        name: 'malformed requests per endpoint (fewest)',
        value: Math.min(...counts),
        threshold: `>= ${size.perEndpoint}`,
        ok: Math.min(...counts) >= size.perEndpoint,
      },
      info('requests in all', result.requests),
      info('seconds', Math.round(result.seconds)),
      mustBeZero('server crashes', result.crashed ? 1 : 0),
      mustBeZero('5xx answers to client input', result.failures.filter((f) => f.status !== 'hang').length),
      mustBeZero('hangs (no answer, no close)', result.failures.filter((f) => f.status === 'hang').length),
      info('resident MB before', Math.round(baseline / MB)),
      info('resident MB at peak', Math.round(peak / MB)),
      size.enforceMemoryAfter
        ? {
            name: 'resident MB after',
            value: Math.round(after / MB),
            threshold: `<= ${Math.round(baseline / MB) + KEPT_MB}`,
            ok: after > 0 && after <= baseline + KEPT_MB * MB,
          }
        : info(`resident MB after (target <= ${Math.round(baseline / MB) + KEPT_MB})`, Math.round(after / MB)),
      info('answers by status', JSON.stringify(result.statuses)),
    ];
  } finally {
    await server.stop();
  }
}
