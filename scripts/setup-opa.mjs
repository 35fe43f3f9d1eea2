#!/usr/bin/env node
// Makes the pinned opa available (see go-tool.mjs for where it is looked for).
// The opa_wasm tag gives the agent its Wasm runtime, which portcullis bundles
// need. opa is required: a failed build fails the install.
import { setupGoTool } from './go-tool.mjs';
import { LOCAL_OPA, TOOLS_DIR, pinnedVersion, versionOf } from './opa-path.mjs';

const pin = pinnedVersion();
process.exitCode = setupGoTool({
  name: 'opa',
  envVar: 'OPA_BIN',
  pin,
  local: LOCAL_OPA,
  toolsDir: TOOLS_DIR,
  toolsLabel: 'tools/opa',
  pkg: 'github.com/open-policy-agent/opa',
  buildFlags: ['-tags', 'opa_wasm'],
  // Static, exactly as the Dockerfile builds it, so the image build reuses Go's build cache.
  env: { CGO_ENABLED: '0' },
  versionOf,
  duration: 'about a minute',
  required: true,
  missingHint: `Install Go 1.24+ and run "npm run setup:opa", or set OPA_BIN to an opa ${pin} binary.`,
});
