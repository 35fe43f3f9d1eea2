/** What an OPA downloader asks for in `Prefer: modes=snapshot,delta;wait=N` (parameters split on `;`). */
export interface BundlePreference {
  readonly modes: readonly string[];
  /** Seconds the client is willing to wait for a change (long polling), if it asked to. */
  readonly waitSeconds?: number;
}

export function parsePrefer(header: string | undefined): BundlePreference {
  const params = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const modes = (params.get('modes') ?? 'snapshot')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const wait = Number(params.get('wait'));
  return Number.isInteger(wait) && wait >= 1 ? { modes, waitSeconds: wait } : { modes };
}
