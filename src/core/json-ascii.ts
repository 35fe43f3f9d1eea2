import { isAscii } from 'node:buffer';

/** Chunks checked at once for ASCII: large enough for a fast native check, small enough to scan the few that are not. */
const ASCII_CHUNK = 4096;

/**
 * JSON text as pure ASCII, from bytes already known to be valid UTF-8: in
 * JSON, text outside ASCII can only stand inside strings, so each run of it
 * is written as \u escapes, and the result, copied as Latin-1, decodes and
 * parses several times faster than UTF-8 with a few accented letters in it
 * (as most scan reports have); JSON.parse gives the same strings.
 */
export function asciiJsonText(body: Buffer): string {
  if (isAscii(body)) return body.toString('latin1');
  const parts: Buffer[] = [];
  let copied = 0;
  for (let chunk = 0; chunk < body.length; chunk += ASCII_CHUNK) {
    const end = Math.min(body.length, chunk + ASCII_CHUNK);
    if (end <= copied || isAscii(body.subarray(Math.max(chunk, copied), end))) continue;
    for (let i = Math.max(chunk, copied); i < end; i++) {
      if ((body[i] ?? 0) < 0x80) continue;
      let stop = i;
      while ((body[stop] ?? 0) >= 0x80) stop++;
      parts.push(body.subarray(copied, i), Buffer.from(escaped(body.toString('utf8', i, stop)), 'latin1'));
      copied = stop;
      i = stop - 1;
    }
  }
  parts.push(body.subarray(copied));
  return Buffer.concat(parts).toString('latin1');
}

/** Every UTF-16 unit as a JSON \u escape (astral characters as their surrogate pair, which JSON.parse joins again). */
function escaped(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
