/** Accepts `data.a.b`, `a.b`, `a/b` or `/a/b` and returns the slash form opa-wasm knows entrypoints by. */
export function normalizeEntrypoint(path: string): string {
  const trimmed = path.trim().replace(/^data(\.|\/|$)/, '');
  return trimmed.replace(/\./g, '/').replace(/^\/+|\/+$/g, '');
}
