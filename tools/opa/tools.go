//go:build tools

// Package tools pins the OPA release that portcullis compiles and tests with.
// The version and checksums live in go.mod and go.sum; `portcullis setup opa`
// (and `npm install` in a checkout, into .tools/bin) builds the binary from
// this module with the opa_wasm tag so that the agent can evaluate the Wasm
// modules inside portcullis bundles (src/compile/tool-build.ts).
package tools

import _ "github.com/open-policy-agent/opa"
