import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toRfc3339 } from '../../src/inputs/derive.js';

/** What toRfc3339 has always meant: Date.parse, years before 1900 as unknown (Go's zero time), written by toISOString. */
function viaDate(raw: string): string | null {
  const time = Date.parse(raw);
  return Number.isNaN(time) || time < Date.UTC(1900, 0, 1) ? null : new Date(time).toISOString();
}

describe('dates', () => {
  it('UTC timestamps written without a Date are what Date.parse and toISOString give, fields in range or not', () => {
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const pad = (x: number, width: number) => String(x).padStart(width, '0');
    const fractions = ['', '.1', '.12', '.123', '.1234', '.123456789', '.999', '.9999'];
    for (let i = 0; i < 20_000; i++) {
      const raw = `${pad(1850 + next(300), 4)}-${pad(next(14), 2)}-${pad(next(33), 2)}T${pad(next(26), 2)}:${pad(next(62), 2)}:${pad(next(62), 2)}${fractions[i % fractions.length]}Z`;
      assert.equal(toRfc3339(raw), viaDate(raw), raw);
    }
  });

  it('other forms still go through Date.parse', () => {
    for (const raw of ['2021-08-03T14:15:08+02:00', '2021-08-03 14:15:08Z', '2021-08-03', '0001-01-01T00:00:00Z', '2020-02-29T23:59:59.5Z', 'not a date']) {
      assert.equal(toRfc3339(raw), viaDate(raw), raw);
    }
    assert.equal(toRfc3339(''), null);
    assert.equal(toRfc3339(42), null);
  });
});
