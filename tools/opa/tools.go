//go:build tools

// Package tools pins the OPA release that portcullis compiles and tests with.
// The version and checksums live in go.mod and go.sum; scripts/setup-opa.mjs
// builds the binary from this module with the opa_wasm tag so that the agent
// can evaluate the Wasm modules inside portcullis bundles.
package tools

import _ "github.com/open-policy-agent/opa"
