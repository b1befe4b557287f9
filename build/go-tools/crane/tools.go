//go:build tools

// Package tools pins the command the image build runs so that `go mod tidy` keeps its
// dependencies in go.sum. It is never compiled.
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
)
