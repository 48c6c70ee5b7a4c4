package main

import (
	"context"
	"io"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

func runBuild(ctx context.Context, args []string, stdout io.Writer) error {
	return builder.Main(ctx, args, stdout)
}
