/**
 * Go's filepath.Match on slash paths, which OPA uses for `exclude_files`:
 * `*` matches any run of characters except `/`, `?` one character except `/`,
 * `[...]` a class (`^` negates, `a-z` ranges), `\` escapes. A malformed
 * pattern matches nothing, since OPA ignores Match's ErrBadPattern.
 */
export function goPathMatch(pattern: string, name: string): boolean {
  const regex = compile(pattern);
  return regex !== undefined && regex.test(name);
}

const cache = new Map<string, RegExp | undefined>();

function compile(pattern: string): RegExp | undefined {
  if (cache.has(pattern)) return cache.get(pattern);
  const regex = translate([...pattern]);
  cache.set(pattern, regex);
  return regex;
}

function translate(chars: readonly string[]): RegExp | undefined {
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      const next = chars[++i];
      if (next === undefined) return undefined;
      out += escapeChar(next);
    } else if (ch === '[') {
      const parsed = translateClass(chars, i + 1);
      if (!parsed) return undefined;
      out += parsed.source;
      i = parsed.end;
    } else out += escapeChar(ch);
  }
  return new RegExp(`^${out}$`, 'su');
}

/** Translates a class starting after `[`; returns the regex source and the index of the closing `]`. */
function translateClass(chars: readonly string[], start: number): { source: string; end: number } | undefined {
  let i = start;
  let negate = false;
  if (chars[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let ranges = 0;
  for (;;) {
    if (chars[i] === ']' && ranges > 0) return { source: `[${negate ? '^' : ''}${body}]`, end: i };
    const lo = classChar(chars, i);
    if (!lo) return undefined;
    i = lo.next;
    let hi = lo;
    if (chars[i] === '-') {
      const h = classChar(chars, i + 1);
      if (!h) return undefined;
      hi = h;
      i = h.next;
    }
    if ((lo.ch.codePointAt(0) as number) > (hi.ch.codePointAt(0) as number)) return undefined;
    body += hi === lo ? escapeClassChar(lo.ch) : `${escapeClassChar(lo.ch)}-${escapeClassChar(hi.ch)}`;
    ranges++;
  }
}

function classChar(chars: readonly string[], i: number): { ch: string; next: number } | undefined {
  const ch = chars[i];
  if (ch === undefined || ch === '-' || ch === ']') return undefined;
  if (ch === '\\') {
    const escaped = chars[i + 1];
    return escaped === undefined ? undefined : { ch: escaped, next: i + 2 };
  }
  return { ch, next: i + 1 };
}

function escapeChar(ch: string): string {
  // Only syntax characters may be escaped in a `u` regex (`\-` is an error there).
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function escapeClassChar(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}
