const PACKAGE_LINE = /^\s*package\s+([^\s#]+)/m;

/** The package of a Rego module as a slash path (`package a.b["c"]` gives `a/b/c`), or undefined. */
export function regoPackagePath(source: string): string | undefined {
  const match = PACKAGE_LINE.exec(stripComments(source));
  if (!match?.[1]) return undefined;
  return match[1]
    .replace(/\[\s*"([^"]*)"\s*\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '')
    .join('/');
}

function stripComments(source: string): string {
  return source.replace(/#.*$/gm, '');
}
