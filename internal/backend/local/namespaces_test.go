package local

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestNamespaces(t *testing.T) {
	f := newFixture(t)
	b := f.b
	names, _ := b.Namespaces(ctx)
	if !reflect.DeepEqual(names, []string{provider.DefaultNamespace}) {
		t.Fatalf("namespaces = %v", names)
	}
	ns := provider.FunctionNamespace{Name: "team", Labels: map[string]string{"openfaas": "1"}}
	wantErr(t, b.CreateNamespace(ctx, ns), nil)
	wantErr(t, b.CreateNamespace(ctx, ns), provider.ErrAlreadyExists)
	wantErr(t, b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "Bad"}), provider.ErrInvalid)
	got, err := b.Namespace(ctx, "team")
	if err != nil || !reflect.DeepEqual(got, ns) {
		t.Fatalf("Namespace = %+v, %v", got, err)
	}
	_, err = b.Namespace(ctx, "nope")
	wantErr(t, err, provider.ErrNotFound)
	ns.Annotations = map[string]string{"owner": "me"}
	wantErr(t, b.UpdateNamespace(ctx, ns), nil)
	wantErr(t, b.UpdateNamespace(ctx, provider.FunctionNamespace{Name: "nope"}), provider.ErrNotFound)
	if got, _ = b.Namespace(ctx, "team"); got.Annotations["owner"] != "me" {
		t.Fatalf("after update: %+v", got)
	}

	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "s", Namespace: "team", Value: "v"}), nil)
	d := echoSpec("echo")
	d.Namespace, d.Secrets = "team", []string{"s"}
	wantErr(t, b.Deploy(ctx, d), nil)
	wantErr(t, b.Deploy(ctx, echoSpec("echo")), nil) // same name, default namespace
	if list, _ := b.Functions(ctx, "team"); len(list) != 1 || list[0].Namespace != "team" {
		t.Fatalf("team functions %+v", list)
	}

	wantErr(t, b.DeleteNamespace(ctx, provider.DefaultNamespace), provider.ErrInvalid)
	wantErr(t, b.DeleteNamespace(ctx, "nope"), provider.ErrNotFound)
	wantErr(t, b.DeleteNamespace(ctx, "team"), nil)
	_, err = b.Functions(ctx, "team")
	wantErr(t, err, provider.ErrNotFound)
	if n := f.eng.open.Load(); n != 1 {
		t.Fatalf("%d replicas loaded, want 1 (the default namespace's echo)", n)
	}
	for _, p := range []string{"namespaces/team.json", "functions/team", "secrets/team", "mounts/team", "wasm/team/echo.wasm"} {
		if _, err := os.Stat(filepath.Join(f.dir, p)); !os.IsNotExist(err) {
			t.Fatalf("%s survived the namespace's deletion (%v)", p, err)
		}
	}
	// Recreated, it is empty.
	wantErr(t, b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team"}), nil)
	if s, _ := b.Secrets(ctx, "team"); len(s) != 0 {
		t.Fatalf("recreated namespace has secrets %v", s)
	}
}

func TestDefaultNamespaceOption(t *testing.T) {
	f := newFixture(t, WithDefaultNamespace("team"))
	names, _ := f.b.Namespaces(ctx)
	if !reflect.DeepEqual(names, []string{provider.DefaultNamespace, "team"}) {
		t.Fatalf("namespaces = %v", names)
	}
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	if _, err := f.b.Function(ctx, "echo", "team"); err != nil {
		t.Fatalf("function without namespace did not land in the default: %v", err)
	}
	wantErr(t, f.b.DeleteNamespace(ctx, "team"), provider.ErrInvalid)
	wantErr(t, f.b.DeleteNamespace(ctx, provider.DefaultNamespace), provider.ErrInvalid)

	for _, opt := range []Option{WithDefaultNamespace("Not_Valid"), WithMaxReplicas(0)} {
		_, err := buildOptions([]Option{opt})
		wantErr(t, err, provider.ErrInvalid)
	}
	if o, err := buildOptions([]Option{WithLogLines(0), WithLogger(nil), WithClock(nil)}); err != nil ||
		o.logLines != defaultLogLines || o.log == nil || o.now == nil {
		t.Fatalf("zero options not defaulted: %+v, %v", o, err)
	}
}

// A deploy whose namespace is deleted while it pulls undoes itself.
func TestDeployIntoNamespaceDeletedMeanwhile(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team"}), nil)
	started, release := make(chan struct{}), make(chan struct{})
	w := f.b.wasm.(*wasmDriver)
	pull := w.src.pull
	w.src.pull = func(ctx context.Context, ref string) (pulledModule, error) {
		close(started)
		<-release
		return pull(ctx, ref)
	}
	done := make(chan error)
	go func() {
		d := echoSpec("echo")
		d.Namespace = "team"
		done <- f.b.Deploy(ctx, d)
	}()
	<-started
	wantErr(t, f.b.DeleteNamespace(ctx, "team"), nil)
	close(release)
	select {
	case err := <-done:
		wantErr(t, err, provider.ErrNotFound)
	case <-time.After(5 * time.Second):
		t.Fatal("deploy did not return (deadlock?)")
	}
	if n := f.eng.open.Load(); n != 0 {
		t.Fatalf("%d replicas left loaded", n)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "functions", "team", "echo.json")); !os.IsNotExist(err) {
		t.Fatalf("record left behind (%v)", err)
	}
}
