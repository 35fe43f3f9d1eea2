import { SEVERITY_RANK, type Severity } from '../core/index.js';
import type { PackageClass, VulnerabilityStatus } from './types.js';

// Facts computed here rather than in Rego: the wasm runtime lacks time and
// semver builtins, and a rule reading `fix_available` or `age_days` stays one line.

export { SEVERITY_RANK };

const SEVERITY_ALIASES: Readonly<Record<string, Severity>> = {
  NONE: 'NEGLIGIBLE',
  INFO: 'NEGLIGIBLE',
  INFORMATIONAL: 'NEGLIGIBLE',
  MODERATE: 'MEDIUM',
  IMPORTANT: 'HIGH',
};

export function normalizeSeverity(raw: unknown): Severity {
  if (typeof raw === 'number') return TRIVY_SEVERITY_BY_INDEX[raw] ?? 'UNKNOWN';
  if (typeof raw !== 'string') return 'UNKNOWN';
  const upper = raw.trim().toUpperCase();
  if (upper in SEVERITY_RANK) return upper as Severity;
  return SEVERITY_ALIASES[upper] ?? 'UNKNOWN';
}

/** Trivy's VendorSeverity uses 0..4 for UNKNOWN..CRITICAL. */
const TRIVY_SEVERITY_BY_INDEX: readonly Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

const STATUSES: ReadonlySet<string> = new Set<VulnerabilityStatus>([
  'unknown',
  'not_affected',
  'affected',
  'fixed',
  'under_investigation',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
]);

const STATUS_ALIASES: Readonly<Record<string, VulnerabilityStatus>> = {
  'not-fixed': 'affected',
  'wont-fix': 'will_not_fix',
  'will-not-fix': 'will_not_fix',
  'fix-deferred': 'fix_deferred',
  'end-of-life': 'end_of_life',
  'not-affected': 'not_affected',
  'under-investigation': 'under_investigation',
};

function knownStatus(raw: unknown): VulnerabilityStatus | null {
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (STATUSES.has(text)) return text as VulnerabilityStatus;
  return STATUS_ALIASES[text] ?? null;
}

/** Maps every scanner's vocabulary onto Trivy's; with no status (or one we do not know), a listed fix means `fixed`. */
export function normalizeStatus(raw: unknown, fixedVersions: readonly string[]): VulnerabilityStatus {
  return knownStatus(raw) ?? (fixedVersions.length > 0 ? 'fixed' : 'affected');
}

/** A status the scanner wrote that is none of the known words (absent and empty are fine: they mean "not said"). */
export function isUnknownStatus(raw: unknown): boolean {
  return typeof raw === 'string' && raw.trim() !== '' && knownStatus(raw) === null;
}

/** No severity, or a word that is none of the known ones; a scanner's own "unknown" is read fully. */
export function isMissingSeverity(raw: unknown): boolean {
  if (normalizeSeverity(raw) !== 'UNKNOWN') return false;
  return !(typeof raw === 'string' && raw.trim().toUpperCase() === 'UNKNOWN') && raw !== 0;
}

const NO_FIX_STATUSES: ReadonlySet<VulnerabilityStatus> = new Set(['not_affected', 'will_not_fix', 'fix_deferred', 'end_of_life']);

/** A vendor's "will not fix" outweighs a version list; a `fixed` status counts even without a version. */
export function isFixAvailable(status: VulnerabilityStatus, fixedVersions: readonly string[]): boolean {
  if (status === 'fixed') return true;
  return fixedVersions.length > 0 && !NO_FIX_STATUSES.has(status);
}

/** Trivy joins alternative fixes with ", " (e.g. "6.0.1, 5.0.1"). */
export function splitFixedVersions(raw: string | null | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

const DAY_MS = 86_400_000;

/** Whole days from `published` to `now`; null when there is no parsable date, 0 for dates in the future. */
export function ageInDays(published: string | null, now: Date): number | null {
  if (!published) return null;
  const time = Date.parse(published);
  if (Number.isNaN(time)) return null;
  return Math.max(0, Math.floor((now.getTime() - time) / DAY_MS));
}

/** A date as RFC 3339 UTC, or null if it does not parse. */
export function toRfc3339(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const canonical = utcTimestamp(raw);
  if (canonical !== undefined) return canonical;
  const time = Date.parse(raw);
  // Go writes its zero time.Time (year 1) for "unknown".
  return Number.isNaN(time) || time < GO_ZERO_TIME_CUTOFF ? null : new Date(time).toISOString();
}

const GO_ZERO_TIME_CUTOFF = Date.UTC(1900, 0, 1);

const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * A UTC timestamp as scanners write them (`2021-08-03T14:15:08Z`), written
 * out as Date#toISOString would write it, without parsing a Date: reports
 * carry one or two per finding. Anything else (offsets, odd forms, dates
 * before 1900, fields out of range) is undefined and goes through Date.parse.
 */
function utcTimestamp(raw: string): string | undefined {
  const m = UTC_TIMESTAMP.exec(raw);
  if (!m) return undefined;
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = ''] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [4, 6, 9, 11].includes(month) ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

// Package types whose vulnerabilities come from the distribution's advisories.
const OS_TYPES: ReadonlySet<string> = new Set([
  'apk',
  'deb',
  'dpkg',
  'rpm',
  'alpm',
  'portage',
  'alpine',
  'debian',
  'ubuntu',
  'redhat',
  'centos',
  'rocky',
  'alma',
  'amazon',
  'oracle',
  'fedora',
  'photon',
  'suse',
  'opensuse',
  'opensuse.leap',
  'opensuse.tumbleweed',
  'sles',
  'mariner',
  'cbl-mariner',
  'azurelinux',
  'wolfi',
  'chainguard',
  'bottlerocket',
  'echo',
  'minimos',
  'arch',
  'archlinux',
  'coreos',
  'distroless',
  'kernel',
  'linux-kernel',
  'bitnami-os',
]);

/** OS vs language package, from Trivy's Class, a package type, or a purl type, in that order of trust. */
export function packageClass(hints: { trivyClass?: string | null; type?: string | null; purl?: string | null }): PackageClass {
  if (hints.trivyClass === 'os-pkgs') return 'os';
  if (hints.trivyClass === 'lang-pkgs') return 'library';
  const type = hints.type?.toLowerCase();
  if (type && OS_TYPES.has(type)) return 'os';
  const purlType = purlTypeOf(hints.purl);
  if (purlType && OS_TYPES.has(purlType)) return 'os';
  return 'library';
}

export function purlTypeOf(purl: string | null | undefined): string | null {
  const match = /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\//.exec(purl ?? '');
  return match?.[1]?.toLowerCase() ?? null;
}

/** `USER` values that mean uid 0: unset, empty, `root`, `0`, with or without a group. */
export function isRootUser(user: string | null | undefined): boolean {
  const name = (user ?? '').trim().split(':')[0] ?? '';
  return name === '' || name === 'root' || name === '0';
}
