package local

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Without containerd, New still serves Wasm, and a container deploy names
// what is missing.
func TestContainersWithoutContainerd(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "containerd.sock")
	f := newFixture(t, WithContainers(func(ctx context.Context, sink containers.LogSink) (*containers.Manager, error) {
		return containers.New(ctx, socket, containers.WithLogSink(sink), containers.WithStateDir(t.TempDir()))
	}))
	err := f.b.Deploy(ctx, provider.FunctionDeployment{Service: "web", Image: "ctr/nginx:1"})
	wantErr(t, err, provider.ErrNotImplemented)
	t.Log(err)
	for _, want := range []string{"containerd", socket} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
}

func TestContainerSpec(t *testing.T) {
	d := Deployment{
		Spec: provider.FunctionDeployment{
			Service: "web", Namespace: "team", Image: "reg/web:1", EnvProcess: "cat",
			EnvVars: map[string]string{"A": "1"}, Labels: map[string]string{"faas_function": "web"},
			Annotations: map[string]string{"x": "y"}, ReadOnlyRootFilesystem: true,
			Limits: &provider.FunctionResources{Memory: "64Mi", CPU: "250m"},
		},
		SecretsDir: "/state/mounts/team/web",
	}
	got, err := containerSpec(d)
	wantErr(t, err, nil)
	want := containers.Spec{Name: "web", Namespace: "team", Image: "reg/web:1", EnvProcess: "cat",
		Env: d.Spec.EnvVars, Labels: d.Spec.Labels, Annotations: d.Spec.Annotations,
		MemoryLimit: 64 << 20, CPUMillis: 250, ReadOnlyRootFS: true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("without secrets: spec = %+v\nwant   %+v", got, want)
	}
	// Only a function that names secrets gets its secrets mounted.
	d.Spec.Secrets = []string{"api-key"}
	got, err = containerSpec(d)
	wantErr(t, err, nil)
	want.SecretsDir = d.SecretsDir
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("with secrets: spec = %+v\nwant   %+v", got, want)
	}
}

func TestContainerLogSink(t *testing.T) {
	r := &containerDriver{logs: map[string]func(string, string){}, adopted: map[string]bool{}}
	var got []string
	r.logs["team/web"] = func(instance, text string) { got = append(got, instance+":"+text) }
	r.sink("web", "team", "web-abc", "hello")
	r.sink("other", "team", "other-1", "dropped")
	if !reflect.DeepEqual(got, []string{"web-abc:hello"}) {
		t.Fatalf("routed %v", got)
	}
}
