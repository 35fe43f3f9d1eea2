import { AppError } from '../core/index.js';

/** Trims leading and trailing slashes, as OPA does when it reads `roots`. */
export function normalizeRoot(root: string): string {
  return root.replace(/^\/+|\/+$/g, '');
}

/** True when `path` (slash form, no leading `/`) lies at or under `root`. */
export function rootContains(root: string, path: string): boolean {
  return root === '' || path === root || path.startsWith(`${root}/`);
}

export function rootsOverlap(a: string, b: string): boolean {
  return rootContains(a, b) || rootContains(b, a);
}

/** OPA's `manifest has overlapped roots` check, within one manifest. */
export function assertRootsDisjoint(roots: readonly string[], context: string): void {
  const norm = roots.map(normalizeRoot);
  for (let i = 0; i < norm.length; i++) {
    for (let j = i + 1; j < norm.length; j++) {
      const a = norm[i] as string;
      const b = norm[j] as string;
      if (rootsOverlap(a, b)) {
        throw new AppError('BUNDLE_ROOTS_OVERLAP', `${context}: manifest has overlapped roots: '${a}' and '${b}'`);
      }
    }
  }
}

/** OPA's cross-bundle check: an agent cannot activate bundles whose roots overlap. */
export function assertBundlesDisjoint(bundles: readonly { name: string; roots: readonly string[] }[]): void {
  for (let i = 0; i < bundles.length; i++) {
    for (let j = i + 1; j < bundles.length; j++) {
      const a = bundles[i] as { name: string; roots: readonly string[] };
      const b = bundles[j] as { name: string; roots: readonly string[] };
      for (const ra of a.roots.map(normalizeRoot)) {
        const clash = b.roots.map(normalizeRoot).find((rb) => rootsOverlap(ra, rb));
        if (clash !== undefined) {
          throw new AppError('BUNDLE_ROOTS_OVERLAP', `bundles '${a.name}' and '${b.name}' have overlapping roots: '${ra}' and '${clash}'`);
        }
      }
    }
  }
}

export function assertPathUnderRoots(path: string, roots: readonly string[], what: string): void {
  if (!roots.map(normalizeRoot).some((root) => rootContains(root, path))) {
    throw new AppError('BUNDLE_PATH_OUTSIDE_ROOTS', `manifest roots ${JSON.stringify(roots)} do not permit ${what}`);
  }
}

/**
 * OPA's data rule: a value is allowed where a root contains its path, and an
 * object that is a prefix of some root is descended into.
 */
export function assertDataUnderRoots(data: unknown, roots: readonly string[], prefix = ''): void {
  const norm = roots.map(normalizeRoot);
  if (prefix !== '' && norm.some((root) => rootContains(root, prefix))) return;
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  const isRootPrefix = prefix === '' || norm.some((root) => root.startsWith(`${prefix}/`));
  if (!isObject || !isRootPrefix) {
    throw new AppError(
      'BUNDLE_PATH_OUTSIDE_ROOTS',
      `manifest roots ${JSON.stringify(roots)} do not permit data at path '/${prefix}' (hint: check bundle directory structure)`,
    );
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    assertDataUnderRoots(value, roots, prefix === '' ? key : `${prefix}/${key}`);
  }
}
