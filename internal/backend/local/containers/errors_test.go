package containers

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containerd/containerd/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestDaemonGone(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"errdefs unavailable", fmt.Errorf("pull: %w", errdefs.ErrUnavailable), true},
		{"grpc unavailable", status.Error(codes.Unavailable, "connection refused"), true},
		{"wrapped grpc unavailable", fmt.Errorf("pull: %w", status.Error(codes.Unavailable, "transport closing")), true},
		{"not found", fmt.Errorf("pull: %w", errdefs.ErrNotFound), false},
		{"grpc internal", status.Error(codes.Internal, "boom"), false},
		{"plain", errors.New("registry said 500"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := daemonGone(tc.err); got != tc.want {
				t.Fatalf("daemonGone(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if tc.want && !errors.Is(unavailable("op", tc.err), provider.ErrUnavailable) {
				t.Fatal("unavailable() does not wrap provider.ErrUnavailable")
			}
		})
	}
}
