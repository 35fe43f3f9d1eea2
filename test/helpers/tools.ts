import { findPinnedTool, pinnedToolVersion, setupHint, toolEnvironment, type ToolName } from '../../src/compile/index.js';

const found = new Map<ToolName, string>();

/** A pinned tool, found by the one lookup the CLI and the setup scripts use; the suite fails loudly without it. */
export function pinnedTool(name: ToolName): string {
  let path = found.get(name);
  if (path === undefined) {
    path = findPinnedTool(name, toolEnvironment(process.env))?.path;
    if (!path) throw new Error(`no ${name} ${pinnedToolVersion(name)} found: ${setupHint(name)}`);
    found.set(name, path);
  }
  return path;
}
