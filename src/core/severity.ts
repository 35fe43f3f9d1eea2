// The one severity scale of portcullis: the normalized input, the decision a
// policy returns and every output format use it (schemas/*.json repeat it as enums).

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'NEGLIGIBLE' | 'UNKNOWN';

/** Worst first. */
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'];

/** `severity_rank` of the normalized input: higher is worse, so `rank >= 4` means HIGH and above. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  UNKNOWN: 0,
  NEGLIGIBLE: 1,
  LOW: 2,
  MEDIUM: 3,
  HIGH: 4,
  CRITICAL: 5,
};
