import { normalize, type NormalizedInput, type NormalizeRequest, type ReportFile } from '../../src/inputs/index.js';

export const NOW = '2026-01-01T00:00:00Z';

const utf8 = new TextEncoder();

export function bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** A report file from an inline object (JSON) or text (YAML, broken JSON). */
export function reportFile(content: unknown, path = 'synthetic.json', format?: string): ReportFile {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return format === undefined ? { path, bytes: bytes(text) } : { path, bytes: bytes(text), format };
}

export function normalizeReport(content: unknown, format?: string): NormalizedInput {
  return normalize({ reports: [reportFile(content, 'synthetic.json', format)], now: NOW });
}

export function normalizeWith(request: Omit<NormalizeRequest, 'now'>): NormalizedInput {
  return normalize({ ...request, now: NOW });
}

/** A minimal Trivy vulnerability; `extra` overrides fields. */
export function trivyVuln(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { VulnerabilityID: id, PkgName: 'openssl', InstalledVersion: '1.1.1c-r0', Severity: 'HIGH', ...extra };
}
