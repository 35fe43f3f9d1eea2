//go:build tools

// Package tools pins the Helm release that lints and renders the portcullis
// chart (deploy/helm/portcullis) in the tests. The version and checksums live
// in go.mod and go.sum; scripts/setup-tools.mjs builds the binary from this
// module into .tools/bin/helm.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
