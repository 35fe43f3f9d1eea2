//go:build tools

// Package tools pins the Regal release (the Rego linter) that `portcullis
// review` lints policy changes with. The version and checksums live in go.mod
// and go.sum; `portcullis setup regal` (and `npm install` in a checkout, into
// .tools/bin) builds the binary from this module (src/compile/tool-build.ts).
package tools

import _ "github.com/open-policy-agent/regal"
