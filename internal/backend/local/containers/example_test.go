package containers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
)

// A provider connects once, adopts what a previous run left, deploys, and
// routes calls for the function through its handler.
func ExampleManager() {
	ctx := context.Background()
	m, err := containers.New(ctx, containers.DefaultSocket,
		containers.WithNamespace("openfaas-fn"),
		containers.WithStateDir("/var/lib/faas-wasm/containers"),
		containers.WithNetwork(containers.Network{Bridge: "faaswasm0", Subnet: "10.62.0.0/16"}),
		containers.WithLogSink(func(fn, ns, instance, line string) {
			slog.Info(line, "function", fn, "namespace", ns, "instance", instance)
		}),
	)
	if errors.Is(err, containers.ErrNoContainerd) {
		slog.Warn("container functions disabled", "err", err) // Wasm functions still work
		return
	}
	if err != nil {
		slog.Error("containers", "err", err)
		return
	}
	defer m.Close()

	if _, err := m.Recover(ctx); err != nil {
		slog.Error("recover", "err", err)
	}
	spec := containers.Spec{Name: "echo", Namespace: "openfaas-fn", Image: "127.0.0.1:5000/echo:1",
		EnvProcess: "cat", MemoryLimit: 64 << 20, ReadOnlyRootFS: true}
	if err := m.Apply(ctx, spec, 2); err != nil {
		slog.Error("deploy", "err", err) // errors.Is(err, provider.ErrImage) for a bad image
		return
	}
	http.Handle("/function/echo/", http.StripPrefix("/function/echo", m.Handler("echo", "openfaas-fn")))
}
