//go:build tools

// Package tools pins the oras release that bench/oci.mjs measures portcullis'
// push and pull against. The version and checksums live in go.mod and go.sum;
// scripts/setup-tools.mjs builds the binary from this module into
// .tools/bin/oras, when the benchmark first needs it (npm install does not).
package tools

import _ "oras.land/oras/cmd/oras"
