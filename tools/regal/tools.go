//go:build tools

// Package tools pins the Regal release (the Rego linter) that `portcullis
// review` lints policy changes with. The version and checksums live in go.mod
// and go.sum; scripts/setup-regal.mjs builds the binary from this module into
// .tools/bin/regal.
package tools

import _ "github.com/open-policy-agent/regal"
