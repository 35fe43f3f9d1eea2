import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A decision-log batch as the agent sent it, and what the agent was answered. */
export interface LogBatch {
  readonly backend: string;
  readonly status: number;
  readonly decisionIds: readonly string[];
}

export interface Balancer {
  readonly url: string;
  /** Decision-log batches whose answer reached the agent. */
  readonly batches: LogBatch[];
  /** When a bundle download answered 200 started reaching the agent, by bundle path. */
  readonly deliveries: { readonly path: string; readonly backend: string; readonly at: number }[];
  /** Long polls (Prefer: ...wait=N) currently held, by backend. */
  held(backend: string): number;
  close(): Promise<void>;
}

/**
 * A stand-in for a Kubernetes Service in front of replicas: each request goes
 * to the first backend that accepts a connection (no client affinity), and
 * what it sees is recorded for the test: which decision-log batches were
 * acknowledged, and when bundles were delivered.
 */
export async function startBalancer(backends: () => readonly string[]): Promise<Balancer> {
  const batches: LogBatch[] = [];
  const deliveries: Balancer['deliveries'][number][] = [];
  const holding = new Map<string, number>();
  const hold = (backend: string, delta: number) => holding.set(backend, (holding.get(backend) ?? 0) + delta);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(Buffer.concat(chunks), 0));

    const forward = (body: Buffer, i: number): void => {
      const backend = backends()[i];
      if (backend === undefined) {
        res.writeHead(502).end();
        return;
      }
      const target = new URL(backend);
      const longPoll = /wait=\d+/.test(String(req.headers['prefer'] ?? ''));
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (longPoll) hold(backend, -1);
        const status = answer.statusCode ?? 502;
        if (status === 200 && req.url?.startsWith('/bundles/')) deliveries.push({ path: req.url, backend, at: Date.now() });
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        res.on('finish', () => {
          if (req.method === 'POST' && req.url?.startsWith('/logs')) batches.push({ backend, status, decisionIds: decisionIdsOf(body, req.headers) });
        });
      });
      if (longPoll) hold(backend, 1);
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (longPoll && !res.headersSent) hold(backend, -1);
        // A refused connection never reached the backend: the next one may take it, as a Service would route it.
        if (err.code === 'ECONNREFUSED') forward(body, i + 1);
        else if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      upstream.end(body);
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    deliveries,
    held: (backend) => holding.get(backend) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decisionIdsOf(body: Buffer, headers: IncomingHttpHeaders): string[] {
  const text = headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString('utf8') : body.toString('utf8');
  return (JSON.parse(text) as { decision_id?: string }[]).flatMap((e) => (e.decision_id ? [e.decision_id] : []));
}
