export { buildBundles } from './build.js';
export type { BuildOptions, BuildResult, DefinitionSigner, PreparedSigning } from './build.js';
export { OpaCompiler } from './compiler.js';
export type { CompileRequest, CompiledPolicy, PolicyCompiler } from './compiler.js';
export { loadDefinition, loadDefinitions, definitionSchema } from './definition.js';
export type { BundleDefinition, BundleSigning, LoadedDefinition } from './definition.js';
export { capabilitiesPath, compilerIdentity, pinnedOpaVersion, resolveToolchain } from './toolchain.js';
export type { Toolchain } from './toolchain.js';
export {
  describeSearchOrder,
  findPinnedTool,
  pinnedToolVersion,
  projectToolPath,
  setupHint,
  toolCandidates,
  toolEnvironment,
  PACKAGE_TOOLS,
  TOOL_NAMES,
  TOOL_SEARCH_ORDER,
  TOOL_SPECS,
  userToolPath,
} from './tools.js';
export type { PackageTool, ToolCandidate, ToolEnvironment, ToolName, ToolSource, ToolSpec } from './tools.js';
export { buildPinnedTool, goVersion } from './tool-build.js';
export { runOpa } from './opa-cli.js';
export type { OpaRun } from './opa-cli.js';
export { writeFileAtomic } from './atomic-write.js';
