package main

import (
	"context"
	"io"

	"github.com/faas-wasm/faas-wasm/internal/bench"
	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/oci"
)

func runBuild(ctx context.Context, args []string, stdout io.Writer) error {
	return builder.Main(ctx, args, stdout)
}

func runRegistry(ctx context.Context, args []string, stdout io.Writer) error {
	return oci.Main(ctx, args, stdout)
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return bench.Main(ctx, args, stdout, stderr)
}
