//go:build tools

// Package tools pins the Gatekeeper release whose gator CLI verifies the
// ConstraintTemplates and Constraints that portcullis generates. The version
// and checksums live in go.mod and go.sum; scripts/setup-gator.mjs builds the
// binary from this module into .tools/bin/gator.
package tools

import _ "github.com/open-policy-agent/gatekeeper/v3/cmd/gator"
