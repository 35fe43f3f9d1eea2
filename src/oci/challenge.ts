/** One challenge of a WWW-Authenticate header: the scheme (lower case) and its parameters. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme
 * and comma-separated `name=value` parameters whose values may be quoted
 * strings holding commas, as in `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull,push"`.
 */
export function parseChallenges(value: string | undefined): Challenge[] {
  if (!value) return [];
  const header = value;
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skip = (pattern: RegExp) => {
    while (i < header.length && pattern.test(header.charAt(i))) i += 1;
  };
  const token = () => {
    const start = i;
    skip(/[!#$%&'*+.^_`|~0-9A-Za-z-]/);
    return header.slice(start, i);
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const word = token();
    if (!word) break;
    skip(/[ \t]/);
    if (header.charAt(i) === '=' && challenges.length > 0) {
      // A parameter of the current challenge.
      i += 1;
      skip(/[ \t]/);
      const last = challenges[challenges.length - 1];
      if (last) last.params[word.toLowerCase()] = header.charAt(i) === '"' ? quoted() : token68();
      continue;
    }
    challenges.push({ scheme: word.toLowerCase(), params: {} });
  }
  return challenges;

  function quoted(): string {
    let value = '';
    i += 1;
    while (i < header.length && header.charAt(i) !== '"') {
      if (header.charAt(i) === '\\') i += 1;
      value += header.charAt(i);
      i += 1;
    }
    i += 1;
    return value;
  }

  function token68(): string {
    const start = i;
    skip(/[^\s,]/);
    return header.slice(start, i);
  }
}
