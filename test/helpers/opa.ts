import { resolveToolchain, type Toolchain } from '../../src/compile/index.js';

let cached: Toolchain | undefined;

/** The pinned opa; the suite needs it and fails loudly rather than skipping when it is absent. */
export function toolchain(): Toolchain {
  cached ??= resolveToolchain(process.env['OPA_BIN']);
  return cached;
}
