import type { ScanInputSummary } from './types.js';

type StoredReport = {
  readonly format?: string;
  readonly scanner?: unknown;
  readonly created?: string | null;
  readonly warnings?: readonly { code?: string }[];
};

/**
 * The summary a scan's input carries (who scanned what, when, what was found
 * and what could not be read), computed when the scan is stored. Inputs are
 * stored as the server normalized them; a loose reading keeps an odd one
 * listable instead of failing its whole history.
 */
export function summarizeScanInput(input: unknown): ScanInputSummary {
  const normalized = input as { summary?: unknown; reports?: readonly StoredReport[] } | null;
  const stored: readonly StoredReport[] = Array.isArray(normalized?.reports) ? (normalized.reports as readonly StoredReport[]) : [];
  const reports = stored.map((r) => {
    const byCode: Record<string, number> = {};
    for (const w of r.warnings ?? []) byCode[w.code ?? 'UNKNOWN'] = (byCode[w.code ?? 'UNKNOWN'] ?? 0) + 1;
    return { format: r.format ?? null, scanner: r.scanner ?? null, created: r.created ?? null, input_warnings: byCode };
  });
  return { reports, vulnerabilities: normalized?.summary ?? null };
}
