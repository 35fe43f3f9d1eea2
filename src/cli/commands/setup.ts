import { loadConfig } from '../../config/index.js';
import { buildPinnedTool, findPinnedTool, pinnedToolVersion, PACKAGE_TOOLS, userToolPath, type ToolName } from '../../compile/index.js';
import { AppError, EXIT } from '../../core/index.js';

/**
 * `portcullis setup <tool>...`: makes each pinned tool available. A binary the
 * lookup already finds at the pinned version is used as it is; otherwise the
 * tool is built with Go from its pinned module in the package into the
 * per-user cache, where later installs and other projects find it. Exit 0
 * when every tool is available, 3 when one cannot be built (no Go, a failed
 * build), 2 for an unknown tool.
 */
export async function setup(names: readonly string[]): Promise<number> {
  const tools = names.map(toolName);
  const config = await loadConfig(undefined);
  for (const name of tools) {
    const found = findPinnedTool(name, config.tools);
    if (found) {
      process.stdout.write(`${name} ${found.version}: ${found.path} (${found.source})\n`);
      continue;
    }
    const pin = pinnedToolVersion(name);
    const dest = userToolPath(name, pin, config.tools);
    process.stderr.write(`portcullis: building ${name} ${pin} from its pinned Go module (the first time takes minutes; later builds reuse Go's caches)...\n`);
    buildPinnedTool(name, dest);
    process.stdout.write(`${name} ${pin}: ${dest} (user-cache)\n`);
  }
  return EXIT.OK;
}

function toolName(name: string): ToolName {
  const known = PACKAGE_TOOLS.find((n) => n === name);
  if (!known) throw new AppError('USAGE', `unknown tool '${name}': expected ${PACKAGE_TOOLS.join(', ')}`);
  return known;
}
