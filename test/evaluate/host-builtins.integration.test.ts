import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AppError } from '../../src/core/index.js';
import { parseRfc3339Ns, semverCompare, type WasmPolicy } from '../../src/evaluate/index.js';
import { topdownEval, wasmPolicy } from './wasm-build.js';

describe('time.now_ns on the host', () => {
  const rego = `package clock

first := time.now_ns()

second := time.now_ns()

calls := {time.now_ns() | some _ in numbers.range(1, 50)}

all := json.marshal([first, second, calls])
`;
  let policy: WasmPolicy;
  before(async () => {
    policy = await wasmPolicy(rego, ['clock/all']);
  });

  function nows(now?: bigint | Date): string[] {
    const decision = policy.evaluate('clock/all', undefined, now === undefined ? {} : { now });
    assert.ok(decision.defined);
    const [first, second, calls] = JSON.parse((decision.result as string).replace(/(-?\d+)/g, '"$1"')) as [string, string, string[]];
    return [first, second, ...calls];
  }

  it('returns one value for every call within an evaluation', () => {
    const values = nows();
    assert.equal(values.length, 3);
    assert.equal(new Set(values).size, 1);
    const ms = Number(BigInt(values[0]!) / 1_000_000n);
    assert.ok(Math.abs(ms - Date.now()) < 5000, `now_ns ${values[0]} is not the current time`);
  });

  it('uses an injected time exactly, as ns or as a Date', () => {
    assert.deepEqual(nows(1_700_000_000_123_456_789n), Array(3).fill('1700000000123456789'));
    assert.deepEqual(nows(new Date('2026-01-02T03:04:05.678Z')), Array(3).fill('1767323045678000000'));
    assert.deepEqual(nows(-(2n ** 63n)), Array(3).fill('-9223372036854775808'));
  });

  it('reads the clock again for each evaluation', async () => {
    const before = nows()[0]!;
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(BigInt(nows()[0]!) > BigInt(before));
  });

  it('rejects a time OPA could not represent', () => {
    assert.throws(
      () => policy.evaluate('clock/all', undefined, { now: 2n ** 63n }),
      (e: unknown) => e instanceof AppError && e.code === 'USAGE',
    );
    assert.throws(
      () => policy.evaluate('clock/all', undefined, { now: new Date('nope') }),
      (e: unknown) => e instanceof AppError && e.code === 'USAGE',
    );
  });
});

describe('integers beyond 2^53 reach the policy exactly', () => {
  it('compares parsed timestamps at the int64 limits digit for digit', async () => {
    const policy = await wasmPolicy(
      `package exact

max := time.parse_rfc3339_ns("2262-04-11T23:47:16.854775807Z")

min := time.parse_rfc3339_ns("1677-09-21T00:12:43.145224192Z")

checks := [max == 9223372036854775807, max == 9223372036854775806, min == -9223372036854775808, json.marshal([max, min])]
`,
      ['exact/checks'],
    );
    assert.deepEqual(policy.evaluate('exact/checks', undefined), { defined: true, result: [true, false, true, '[9223372036854775807,-9223372036854775808]'] });
  });
});

// The same module through opa-wasm with the host builtins and through OPA's
// topdown evaluator (`opa eval`, non-strict builtin errors: an erroring call
// drops that member of the comprehension), on inputs chosen to probe the
// edges of Go's time.Parse and of OPA's SemVer parser.
describe('host builtins agree with OPA topdown on edge cases', () => {
  const rego = `package edges

rfc3339 := {s: json.marshal(time.parse_rfc3339_ns(s)) | some s in input.timestamps}

valid := {v: semver.is_valid(v) | some v in input.versions}

compare := {concat(" ", [a, b]): semver.compare(a, b) | some a in input.versions; some b in input.versions}

clamped := {concat(" ", pair): semver.compare(pair[0], pair[1]) | some pair in input.pairs}

# The int64 limits as literals: JSON input would carry them as rounded doubles.
zoned := {json.marshal(t): [time.date(t), time.clock(t), time.weekday(t)] |
	some t in array.concat(input.times, [-9223372036854775808, 9223372036854775807, [9223372036854775807, "Asia/Tokyo"]])
}

affixes := {json.marshal(c): [strings.any_prefix_match(c[0], c[1]), strings.any_suffix_match(c[0], c[1])] | some c in input.affixes}

all := {"rfc3339": rfc3339, "valid": valid, "compare": compare, "clamped": clamped, "zoned": zoned, "affixes": affixes}
`;
  const input = {
    timestamps: [
      '2017-06-02T19:00:00Z',
      '2017-06-02T19:00:00z',
      '2017-06-02t19:00:00Z',
      '2017-06-02T9:00:00Z',
      '2017-06-02T09:00:00Z',
      '2017-06-02T19:00:00.5Z',
      '2017-06-02T19:00:00,5Z',
      '2017-06-02T19:00:00.123456789123Z',
      '2017-06-02T19:00:00.Z',
      '2017-06-02T19:00:00.000000000000000000001Z',
      '2017-06-02T19:00:00.1+05:30',
      '2017-06-02T19:00:00-07:00',
      '2017-06-02T19:00:00+00:00',
      '2017-06-02T19:00:00-00:00',
      '2017-06-02T19:00:00+24:00',
      '2017-06-02T19:00:00+24:60',
      '2017-06-02T19:00:00+25:00',
      '2017-06-02T19:00:00-00:61',
      '2017-06-02T19:00:00+0700',
      '2017-06-02T19:00:00+07',
      '2017-06-02T24:00:00Z',
      '2017-06-02T23:60:00Z',
      '2017-06-02T23:59:60Z',
      '2017-06-02T19:0:00Z',
      '2017-06-02T1:00:00+01:00',
      '2017-02-29T00:00:00Z',
      '2016-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2017-13-01T00:00:00Z',
      '2017-00-01T00:00:00Z',
      '2017-06-00T00:00:00Z',
      '2017-06-31T00:00:00Z',
      '2017-6-02T19:00:00Z',
      '2017-06-2T19:00:00Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '1677-09-21T00:12:43.145224192Z',
      '1677-09-21T00:12:43.145224191Z',
      '2262-04-11T23:47:16.854775807Z',
      '2262-04-11T23:47:16.854775808Z',
      '1969-12-31T23:59:59.999999999Z',
      '2262-04-12T00:47:16.854775807+01:00',
      '2017-06-02 19:00:00Z',
      '2017-06-02T19:00:00Z ',
      ' 2017-06-02T19:00:00Z',
      '2017-06-02T19:00:00Z\n',
      '17-06-02T19:00:00Z',
      '+2017-06-02T19:00:00Z',
      '2017-06-02T19:00:00',
      '',
      '２０１７-06-02T19:00:00Z',
    ],
    versions: [
      '1.0.0',
      'v1.0.0',
      'vv1.0.0',
      'V1.0.0',
      '1.0',
      '1',
      '1.0.0.0',
      '01.0.0',
      '1.01.0',
      '1.0.01',
      '0.0.0',
      '2.0.0',
      '1.10.0',
      '1.2.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0-Alpha',
      '1.0.0-0',
      '1.0.0-01',
      '1.0.0-0a',
      '1.0.0-alpha..1',
      '1.0.0-',
      '1.0.0+',
      '1.0.0+build.1',
      '1.0.0+build..1',
      '1.0.0-alpha+001',
      '1.0.0+20130313144700',
      '1.0.0-x-y-z.--',
      '1.0.0-alpha_beta',
      '1.0.0-a.b.c.d',
      '1.0.0-a.b',
      '1.0.0-1.2.3',
      '1.0.0-1.2',
      '9223372036854775807.0.0',
      '9223372036854775808.0.0',
      '-1.0.0',
      '+1.0.0',
      '1.2.3-αβ',
      ' 1.0.0',
      '1.0.0 ',
      '1. 0.0',
      '',
    ],
    // Numeric pre-release identifiers beyond int64 saturate in OPA; pairs that
    // then tie on every identifier are left out, as OPA never returns on them.
    pairs: [
      ['1.0.0-99999999999999999999.a', '1.0.0-9223372036854775807.b'],
      ['1.0.0-99999999999999999999', '1.0.0-9223372036854775806'],
      ['1.0.0-99999999999999999999', '1.0.0-alpha'],
    ],
    times: [
      0,
      -1,
      1,
      1517814000000000000,
      1582977600000000000,
      1517832000000000000,
      1.5,
      1e30,
      -1e30,
      1e19,
      [1517814000000000000, 'America/Los_Angeles'],
      [1517832000000000000, 'America/New_York'],
      [1517832000000000000, 'Asia/Kolkata'],
      [1517832000000000000, 'Australia/Lord_Howe'],
      [1517832000000000000, 'US/Eastern'],
      [1517832000000000000, 'Etc/GMT+5'],
      [1517832000000000000, 'UTC'],
      [1517832000000000000, ''],
      [1517832000000000000, 'Local'],
      [1517832000000000000, 'america/new_york'],
      [1517832000000000000, 'Nowhere/Special'],
      [1517832000000000000, '+05:30'],
      [1517832000000000000, 'UTC', 'RFC3339'],
      [1517832000000000000, 'UTC', 1],
      [1517832000000000000, 1],
      [1517832000000000000],
      ['1517832000000000000'],
      [],
      '0',
      null,
    ],
    affixes: [
      ['ab', 'a'],
      ['ab', 'b'],
      ['ab', ['x', 'a']],
      [['x', 'ab'], ['b']],
      [[], ['a']],
      ['ab', []],
      ['', ''],
      ['héllo', 'hé'],
      ['héllo', 'llo'],
      ['ab', ['a', 1]],
      [['ab', 1], 'a'],
      [1, 'a'],
      ['a', 1],
      ['a', { a: 1 }],
      ['😀x', '😀'],
      ['x😀', '😀'],
    ],
  };
  let wasm: unknown;
  let topdown: unknown;
  before(async () => {
    const policy = await wasmPolicy(rego, ['edges/all']);
    const decision = policy.evaluate('edges/all', input);
    assert.ok(decision.defined);
    wasm = decision.result;
    topdown = await topdownEval(rego, 'data.edges.all', input);
  });

  for (const key of ['rfc3339', 'valid', 'compare', 'clamped', 'zoned', 'affixes']) {
    it(key, () => {
      const w = (wasm as Record<string, Record<string, unknown>>)[key]!;
      const t = (topdown as Record<string, Record<string, unknown>>)[key]!;
      assert.ok(Object.keys(t).length > 0);
      assert.deepEqual(w, t);
    });
  }
});

describe('host builtin functions', () => {
  it('parse RFC 3339 timestamps as Go does', () => {
    assert.equal(parseRfc3339Ns('2017-06-02T19:00:00-07:00'), 1496455200000000000n);
    assert.equal(parseRfc3339Ns('2017-06-02T9:00:00,5+24:60'), 1496304000500000000n);
    assert.equal(parseRfc3339Ns('2262-04-11T23:47:16.854775808Z'), undefined);
  });

  it('compare SemVer as OPA does, and end where OPA would not', () => {
    assert.equal(semverCompare('1.0.0-alpha.1', '1.0.0-alpha.beta'), -1);
    assert.equal(semverCompare('1.0.0-rc.1', '1.0.0'), -1);
    assert.equal(semverCompare('v1.0.0+a', '1.0.0+b'), 0);
    assert.equal(semverCompare('1.0.0', '1.0'), undefined);
    // Both identifiers saturate to the int64 maximum: OPA v1.22.3 loops forever here.
    assert.equal(semverCompare('1.0.0-99999999999999999999', '1.0.0-99999999999999999998'), 0);
  });
});
