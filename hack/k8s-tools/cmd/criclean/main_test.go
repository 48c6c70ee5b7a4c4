package main

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime is a CRI runtime service holding sandboxes in memory; stopFail names sandboxes
// whose StopPodSandbox fails.
type fakeRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	mu        sync.Mutex
	sandboxes map[string]bool // id -> stopped
	stopFail  map[string]bool
}

func (f *fakeRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &runtimeapi.ListPodSandboxResponse{}
	for id := range f.sandboxes {
		resp.Items = append(resp.Items, &runtimeapi.PodSandbox{
			Id:       id,
			Metadata: &runtimeapi.PodSandboxMetadata{Name: id, Namespace: "ns"},
		})
	}
	return resp, nil
}

func (f *fakeRuntime) StopPodSandbox(_ context.Context, r *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopFail[r.PodSandboxId] {
		return nil, status.Error(codes.Internal, "stop failed")
	}
	f.sandboxes[r.PodSandboxId] = true
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (f *fakeRuntime) RemovePodSandbox(_ context.Context, r *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sandboxes[r.PodSandboxId] {
		return nil, status.Error(codes.FailedPrecondition, "sandbox still running")
	}
	delete(f.sandboxes, r.PodSandboxId)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

func serveFake(t *testing.T, f *fakeRuntime) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return sock
}

func TestClean(t *testing.T) {
	tests := []struct {
		name        string
		sandboxes   []string
		stopFail    []string
		wantRemoved int
		wantLeft    int
		wantErr     bool
	}{
		{"none", nil, nil, 0, 0, false},
		{"three", []string{"a", "b", "c"}, nil, 3, 0, false},
		{"one fails, others removed", []string{"a", "b", "c"}, []string{"b"}, 2, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRuntime{sandboxes: map[string]bool{}, stopFail: map[string]bool{}}
			for _, id := range tc.sandboxes {
				f.sandboxes[id] = false
			}
			for _, id := range tc.stopFail {
				f.stopFail[id] = true
			}
			n, err := clean(context.Background(), serveFake(t, f))
			if (err != nil) != tc.wantErr {
				t.Fatalf("clean error %v, wantErr %v", err, tc.wantErr)
			}
			if n != tc.wantRemoved || len(f.sandboxes) != tc.wantLeft {
				t.Fatalf("removed %d (left %d), want %d (left %d)", n, len(f.sandboxes), tc.wantRemoved, tc.wantLeft)
			}
		})
	}
}

func TestCleanNoRuntime(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "absent.sock")
	_, err := clean(context.Background(), sock)
	if err == nil {
		t.Fatal("clean succeeded without a runtime")
	}
	if st, ok := status.FromError(errors.Unwrap(err)); !ok || st.Code() != codes.Unavailable {
		t.Fatalf("error %v, want a wrapped Unavailable status", err)
	}
}
