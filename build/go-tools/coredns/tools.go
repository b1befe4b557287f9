//go:build tools

// Package tools pins the command the test node's DNS image is built from so that `go mod tidy`
// keeps its dependencies in go.sum. It is never compiled.
package tools

import (
	_ "github.com/coredns/coredns"
)
