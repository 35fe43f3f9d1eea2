import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { AppError, packageRoot } from '../core/index.js';

/** The bundle bundles/image-scan.yaml builds: `portcullis build` writes it, and the package ships it prebuilt. */
export const DEFAULT_BUNDLE = 'image-scan.tar.gz';

/** Where `check` looks for its default bundle: one built here (dist/bundles), then the one shipped in the package. */
export function defaultBundleCandidates(config: Config): string[] {
  return [join(config.bundlesDir, DEFAULT_BUNDLE), join(packageRoot(), 'dist', 'bundles', DEFAULT_BUNDLE)];
}

/** The first default bundle that exists, or undefined. */
export function findDefaultBundle(config: Config): string | undefined {
  return defaultBundleCandidates(config).find((c) => existsSync(c));
}

/** The default bundle, or BUNDLE_NOT_FOUND naming what to do. */
export function defaultBundle(config: Config): string {
  const found = findDefaultBundle(config);
  if (found) return found;
  throw new AppError(
    'BUNDLE_NOT_FOUND',
    `no policy bundle: neither ${defaultBundleCandidates(config).join(' nor ')} exists; run "npx portcullis build", or pass --bundle FILE or --policies DIR`,
  );
}
