package k8s

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/faas-wasm/faas-wasm/provider"
)

// An API server that cannot be reached makes New fail with
// provider.ErrUnavailable once the sync timeout passes, not hang.
func TestNewWithoutAPIServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "http://" + addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = New(context.Background(), client, WithSyncTimeout(500*time.Millisecond))
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("New = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("New took %s to give up", d)
	}
}

func TestInfo(t *testing.T) {
	b := newBackend(t, newFake(), WithVersion(provider.VersionInfo{SHA: "abc", Release: "1.0"}))
	info := b.Info(context.Background())
	if info.Name != "faas-wasm" || info.Orchestration != "kubernetes" || info.Version.SHA != "abc" {
		t.Fatalf("Info = %+v", info)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
