// Builtins that OPA's Wasm runtime does not compile in and that
// @open-policy-agent/opa-wasm does not implement, provided on the host so that
// policies can call them. Each follows OPA v1.22.3's topdown implementation
// (v1/topdown/{time,semver,strings}.go) in its non-strict mode: where topdown
// would raise a builtin error, the call returns undefined, which makes the
// calling expression undefined exactly as `opa eval` does without
// --strict-builtin-errors. Throwing instead would abort the whole evaluation
// (the SDK propagates exceptions out of evaluate()), which no OPA mode does.
//
// The SDK hands each builtin its arguments through JSON.parse and accepts an
// ArrayBuffer result as raw JSON bytes; integers beyond 2^53 (nanosecond
// timestamps) are returned that way so that they reach the policy exactly.

/** A builtin as the SDK calls it: JSON-decoded arguments; a JSON value, raw JSON bytes or undefined back. */
export type HostBuiltin = (...args: unknown[]) => unknown;

export interface HostBuiltinContext {
  /** The evaluation's time in ns since the epoch; the same for every call within one evaluation. */
  readonly nowNs: () => bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The host builtins by OPA name, bound to one evaluation context. */
export function hostBuiltins(context: HostBuiltinContext): Record<string, HostBuiltin> {
  return {
    'time.now_ns': () => exactInteger(context.nowNs()),
    'time.parse_rfc3339_ns': (value) => (typeof value === 'string' ? exactIntegerOrUndefined(parseRfc3339Ns(value)) : undefined),
    'time.date': (value) => inZone(value, (t) => [t.year, t.month, t.day]),
    'time.clock': (value) => inZone(value, (t) => [t.hour, t.minute, t.second]),
    'time.weekday': (value) => inZone(value, (t) => WEEKDAYS[(((daysFromCivil(t.year, t.month, t.day) + 4) % 7) + 7) % 7]),
    'semver.compare': (a, b) => (typeof a === 'string' && typeof b === 'string' ? semverCompare(a, b) : undefined),
    'semver.is_valid': (value) => typeof value === 'string' && parseSemver(value) !== undefined,
    'strings.any_prefix_match': (search, affixes) => anyAffixMatch(search, affixes, (s, a) => s.startsWith(a)),
    'strings.any_suffix_match': (search, affixes) => anyAffixMatch(search, affixes, (s, a) => s.endsWith(a)),
  };
}

/**
 * Builtins @open-policy-agent/opa-wasm implements in JS itself (its
 * src/builtins), which take precedence over custom ones of the same name.
 */
export const SDK_BUILTIN_NAMES: readonly string[] = ['json.is_valid', 'regex.split', 'sprintf', 'yaml.is_valid', 'yaml.marshal', 'yaml.unmarshal'];

/** Names of the host builtins; src/evaluate/host-builtins.json must list exactly these (a test checks it). */
export const HOST_BUILTIN_NAMES: readonly string[] = Object.keys(hostBuiltins({ nowNs: () => 0n })).sort();

/** Raw JSON bytes for an integer, which the SDK parses inside Wasm without going through a JS number. */
export function exactInteger(n: bigint): ArrayBuffer {
  const bytes = new TextEncoder().encode(n.toString());
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function exactIntegerOrUndefined(n: bigint | undefined): ArrayBuffer | undefined {
  return n === undefined ? undefined : exactInteger(n);
}

/** Current wall-clock time in ns. JS clocks give milliseconds; the finer digits are zero. */
export function currentTimeNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

// ---------------------------------------------------------------------------
// time.parse_rfc3339_ns: Go's time.Parse(time.RFC3339, s).
//
// Go's general layout parser, which time.Parse falls back to when its strict
// RFC 3339 fast path declines, is more lenient than RFC 3339, and OPA accepts
// what it accepts: a one-digit hour, a fractional second after a period or a
// comma with any number of digits (truncated to nanoseconds), and zone offsets
// up to +24:60. Day and hour ranges are still checked; the result must fit in
// an int64 of nanoseconds ("time outside of valid range" in OPA).

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** ns since the epoch for an RFC 3339 timestamp as OPA parses it, or undefined where OPA errs. */
export function parseRfc3339Ns(value: string): bigint | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = BigInt((m[7] ?? '').slice(0, 9).padEnd(9, '0'));
  let offset = 0;
  if (m[8] !== undefined) {
    const [offsetHours, offsetMinutes] = [Number(m[9]), Number(m[10])];
    if (offsetHours > 24 || offsetMinutes > 60) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(seconds) * 1_000_000_000n + fraction;
  return ns < INT64_MIN || ns > INT64_MAX ? undefined : ns;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

// ---------------------------------------------------------------------------
// time.date, time.clock, time.weekday: OPA's tzTime operand, either ns or
// [ns, zone] or [ns, zone, layout], ns an integer that fits an int64 ("timestamp
// too big" otherwise) and zone "" or "UTC", "Local" or an IANA name. The SDK
// has already turned ns into a JS number, which for today's timestamps is
// rounded to a multiple of 256 ns (2048 ns near the int64 limits): a result can
// differ from OPA's only for an instant within half that of the next second.

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

interface CivilTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** `pick` applied to the civil time of a tzTime operand, or undefined where OPA errs. */
function inZone(operand: unknown, pick: (t: CivilTime) => unknown): unknown {
  const [ns, zone, layout] = Array.isArray(operand) ? (operand as unknown[]) : [operand];
  // 2^63 itself is allowed: the int64 maximum arrives as that double.
  if (typeof ns !== 'number' || !Number.isInteger(ns) || Math.abs(ns) > 2 ** 63) return undefined;
  if ((zone !== undefined && typeof zone !== 'string') || (layout !== undefined && typeof layout !== 'string')) return undefined;
  // Floor division in exact integers: the double already is an integer.
  const big = BigInt(ns);
  const ms = Number(big / 1_000_000n - (big % 1_000_000n < 0n ? 1n : 0n));
  if (zone === undefined || zone === '' || zone === 'UTC') return pick(utcCivil(ms));
  const formatter = zoneFormatter(zone);
  return formatter ? pick(zonedCivil(ms, formatter)) : undefined;
}

function utcCivil(ms: number): CivilTime {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function zonedCivil(ms: number, formatter: Intl.DateTimeFormat): CivilTime {
  const parts = Object.fromEntries(formatter.formatToParts(ms).map((p) => [p.type, Number(p.value)]));
  return { year: parts['year']!, month: parts['month']!, day: parts['day']!, hour: parts['hour']!, minute: parts['minute']!, second: parts['second']! };
}

const formatters = new Map<string, Intl.DateTimeFormat | undefined>();

/** A formatter for an IANA zone ("Local": the process's zone), or undefined where Go's time.LoadLocation fails. */
function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  if (!formatters.has(zone)) formatters.set(zone, newZoneFormatter(zone));
  return formatters.get(zone);
}

function newZoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  // Go loads zone files by name: no offsets ("+05:30") and no case folding, both of which Intl accepts.
  if (zone !== 'Local' && !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return undefined;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      ...(zone === 'Local' ? {} : { timeZone: zone }),
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    const resolved = formatter.resolvedOptions().timeZone;
    return zone !== 'Local' && resolved !== zone && resolved.toLowerCase() === zone.toLowerCase() ? undefined : formatter;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// semver.*: OPA's internal/semver. Strict SemVer 2.0.0 (no leading zeros,
// non-empty pre-release and build sections), except that OPA strips one
// leading "v", so "v1.2.3" is valid. Build metadata is ignored by compare.

interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly preRelease: string;
}

const META_IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const DECIMALS = /^[0-9]+$/;

/** The version as OPA parses it, or undefined where OPA reports it invalid. */
export function parseSemver(input: string): SemVer | undefined {
  let version = input.startsWith('v') ? input.slice(1) : input;
  const plus = version.indexOf('+');
  if (plus >= 0) {
    if (!META_IDENTIFIERS.test(version.slice(plus + 1))) return undefined;
    version = version.slice(0, plus);
  }
  let preRelease = '';
  const dash = version.indexOf('-');
  if (dash >= 0) {
    preRelease = version.slice(dash + 1);
    if (!META_IDENTIFIERS.test(preRelease) || !validPreRelease(preRelease)) return undefined;
    version = version.slice(0, dash);
  }
  const parts = version.split('.');
  if (parts.length !== 3) return undefined;
  const [major, minor, patch] = parts.map(parseNumeric);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, preRelease };
}

/** A major, minor or patch number: decimal, no sign, no leading zero, fits an int64. */
function parseNumeric(s: string): bigint | undefined {
  if (!DECIMALS.test(s) || (s.length > 1 && s.startsWith('0'))) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX ? undefined : n;
}

function validPreRelease(preRelease: string): boolean {
  return preRelease.split('.').every((id) => !(id.length > 1 && id.startsWith('0') && DECIMALS.test(id)));
}

/** -1, 0 or 1 as OPA's semver.compare, or undefined where either operand is invalid (an OPA builtin error). */
export function semverCompare(a: string, b: string): -1 | 0 | 1 | undefined {
  const va = parseSemver(a);
  const vb = parseSemver(b);
  if (!va || !vb) return undefined;
  return (
    compareInts(va.major, vb.major) || compareInts(va.minor, vb.minor) || compareInts(va.patch, vb.patch) || comparePreRelease(va.preRelease, vb.preRelease)
  );
}

function compareInts(a: bigint, b: bigint): -1 | 0 | 1 {
  return a > b ? 1 : a < b ? -1 : 0;
}

/** SemVer precedence of two pre-release strings, identifier by identifier, as OPA's Version.Compare. */
function comparePreRelease(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const as = x.split('.');
  const bs = y.split('.');
  for (let i = 0; ; i++) {
    const a = as[i];
    const b = bs[i];
    // OPA never returns when both run out (reachable only through the int64
    // clamping below): the versions have equal precedence, so 0.
    if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
    const order = compareIdentifiers(a, b);
    if (order !== 0) return order;
  }
}

function compareIdentifiers(a: string, b: string): -1 | 0 | 1 {
  const aNumeric = DECIMALS.test(a);
  const bNumeric = DECIMALS.test(b);
  // Numeric identifiers have lower precedence than alphanumeric ones.
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  if (aNumeric) return compareInts(clampInt64(BigInt(a)), clampInt64(BigInt(b)));
  return a > b ? 1 : a < b ? -1 : 0;
}

/** Go's strconv.Atoi, which OPA uses on numeric pre-release identifiers, saturates at the int64 maximum. */
function clampInt64(n: bigint): bigint {
  return n > INT64_MAX ? INT64_MAX : n;
}

// ---------------------------------------------------------------------------
// strings.any_prefix_match / any_suffix_match. Sets arrive from Wasm as JSON
// arrays. As in OPA, every member of both operands is type-checked before any
// is matched, so a non-string after a match is still an error (undefined).

function anyAffixMatch(search: unknown, affixes: unknown, match: (s: string, affix: string) => boolean): boolean | undefined {
  const strings = stringsOperand(search);
  const bases = stringsOperand(affixes);
  if (!strings || !bases) return undefined;
  return strings.some((s) => bases.some((affix) => match(s, affix)));
}

/** A string, or an array (or set) of strings, as a list; undefined for anything else (a type error in OPA). */
function stringsOperand(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  return undefined;
}
