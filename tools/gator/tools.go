//go:build tools

// Package tools pins the Gatekeeper release whose gator CLI verifies the
// ConstraintTemplates and Constraints that portcullis generates. The version
// and checksums live in go.mod and go.sum; `portcullis setup gator` (and
// `npm install` in a checkout, into .tools/bin) builds the binary from this
// module (src/compile/tool-build.ts).
package tools

import _ "github.com/open-policy-agent/gatekeeper/v3/cmd/gator"
