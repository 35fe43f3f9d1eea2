import { ageInDays } from './derive.js';
import type { NormalizedInput } from './types.js';

const DAY_MS = 86_400_000;

/** An input whose vulnerabilities' age_days are counted to a given time, and the times for which those ages hold. */
export interface AgedInput {
  readonly input: NormalizedInput;
  /** Epoch milliseconds: the ages are the same for every time from `from` (inclusive) to `until` (exclusive). */
  readonly from: number;
  readonly until: number;
}

/**
 * A stored input decided later than it was normalized: age_days is counted
 * from each publication date to `now`, not to the time of the upload, so a
 * CVE-age threshold passed since then denies. Everything else is the input's.
 */
export function agedTo(input: NormalizedInput, now: Date): AgedInput {
  const time = now.getTime();
  let from = -Infinity;
  let until = Infinity;
  const vulnerabilities = input.vulnerabilities.map((v) => {
    const age = ageInDays(v.published, now);
    if (age === null) return v;
    const published = Date.parse(v.published as string);
    // ageInDays floors whole days since publication, and is 0 before it.
    if (time >= published) from = Math.max(from, published + age * DAY_MS);
    until = Math.min(until, published + (age + 1) * DAY_MS);
    return v.age_days === age ? v : { ...v, age_days: age };
  });
  return { input: { ...input, vulnerabilities }, from, until };
}
