// The repository's side of the one pinned-tool lookup (src/compile/tools.ts,
// run from dist/: `prepare` compiles it before any setup script runs). opa,
// gator and Regal are each the first binary whose version equals the pin in
// tools/<name>/go.mod: $OPA_BIN|$GATOR_BIN|$REGAL_BIN, .tools/bin, the
// per-user cache of `portcullis setup`, then PATH. Never a prebuilt download.
import {
  buildPinnedTool,
  findPinnedTool,
  goVersion,
  pinnedToolVersion,
  projectToolPath,
  setupHint,
  toolCandidates,
  toolEnvironment,
  TOOL_SPECS,
} from '../dist/src/compile/index.js';

/** The pinned binary for scripts, benchmarks and tests; throws with the command that installs it. */
export function pinnedToolPath(name) {
  const found = findPinnedTool(name, toolEnvironment(process.env));
  if (!found) throw new Error(`no ${name} ${pinnedToolVersion(name)} found: ${setupHint(name)}`);
  return found.path;
}

/**
 * `npm install` in a checkout: finds the pinned tool or builds it from its Go
 * module into the project's .tools/bin, and returns the exit code. Without Go
 * it says loudly what is missing and returns 0, so the install completes and
 * the commands or tests that need the tool fail naming the fix; a failed
 * build fails the install only for a `required` tool.
 */
export function setupProjectTool(name, { required }) {
  const tools = toolEnvironment(process.env);
  const pin = pinnedToolVersion(name);
  const found = findPinnedTool(name, tools);
  if (found) {
    console.log(`portcullis: using ${name} ${pin}: ${found.path} (${found.source})`);
    return 0;
  }
  for (const c of toolCandidates(name, tools)) console.warn(`portcullis: ignoring ${c.path} (${c.source}): version ${c.version ?? 'unknown'}, pinned ${pin}`);
  if (!goVersion()) {
    console.error(`portcullis: ${name} ${pin} is not installed and Go is not available to build it (${TOOL_SPECS[name].neededFor}).\n  ${setupHint(name)}`);
    return 0;
  }
  console.log(`portcullis: building ${name} ${pin} from tools/${name} into .tools/bin (first time only; later builds reuse Go's caches)...`);
  const started = Date.now();
  try {
    buildPinnedTool(name, projectToolPath(name));
  } catch (err) {
    console.error(`portcullis: ${err.message}`);
    return required ? 1 : 0;
  }
  console.log(`portcullis: ${name} ${pin} ready at ${projectToolPath(name)} (${Math.round((Date.now() - started) / 1000)} s)`);
  return 0;
}
