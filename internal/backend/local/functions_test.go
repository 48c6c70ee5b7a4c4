package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

var ctx = context.Background()

func echoSpec(name string) provider.FunctionDeployment {
	return provider.FunctionDeployment{Service: name, Image: "echo:1"}
}

func TestDeployEchoesSpec(t *testing.T) {
	f := newFixture(t)
	d := provider.FunctionDeployment{
		Service: "echo", Image: "echo:1", EnvProcess: "cat",
		EnvVars:                map[string]string{"GREETING": "hi"},
		Constraints:            []string{"node=a"},
		Labels:                 map[string]string{"team": "x"},
		Annotations:            map[string]string{"note": "n", provider.AnnotationWasmMode: "fresh"},
		Limits:                 &provider.FunctionResources{Memory: "64Mi", CPU: "500m"},
		Requests:               &provider.FunctionResources{Memory: "32Mi"},
		ReadOnlyRootFilesystem: true,
	}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	st, err := f.b.Function(ctx, "echo", "")
	wantErr(t, err, nil)
	if st.Name != "echo" || st.Image != "echo:1" || st.Namespace != provider.DefaultNamespace || st.EnvProcess != "cat" {
		t.Fatalf("status = %+v", st)
	}
	if !reflect.DeepEqual(st.EnvVars, d.EnvVars) || !reflect.DeepEqual(st.Constraints, d.Constraints) ||
		!reflect.DeepEqual(st.Annotations, d.Annotations) || !reflect.DeepEqual(*st.Limits, *d.Limits) ||
		!reflect.DeepEqual(*st.Requests, *d.Requests) || !st.ReadOnlyRootFilesystem {
		t.Fatalf("status does not echo the deployment: %+v", st)
	}
	if st.Labels["team"] != "x" || st.Labels[provider.LabelFunction] != "echo" {
		t.Fatalf("labels = %v", st.Labels)
	}
	if d.Labels[provider.LabelFunction] != "" {
		t.Fatal("Deploy changed the caller's labels map")
	}
	if st.Replicas != 1 || st.AvailableReplicas != 1 || st.CreatedAt.IsZero() {
		t.Fatalf("replicas %d/%d createdAt %v", st.Replicas, st.AvailableReplicas, st.CreatedAt)
	}
	d.EnvVars["GREETING"] = "changed"
	d.Limits.Memory = "1Gi"
	again, _ := f.b.Function(ctx, "echo", "")
	if again.EnvVars["GREETING"] != "hi" || again.Limits.Memory != "64Mi" {
		t.Fatal("the stored function shares maps with the caller's deployment")
	}
}

func TestDeployErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      provider.FunctionDeployment
		class  error
		inText string
	}{
		{"bad name", provider.FunctionDeployment{Service: "Echo", Image: "echo:1"}, provider.ErrInvalid, "DNS-1123"},
		{"no image", provider.FunctionDeployment{Service: "echo"}, provider.ErrInvalid, "image is required"},
		{"unknown namespace", provider.FunctionDeployment{Service: "echo", Image: "echo:1", Namespace: "nope"}, provider.ErrNotFound, "nope"},
		{"unknown secret", provider.FunctionDeployment{Service: "echo", Image: "echo:1", Secrets: []string{"api-key"}}, provider.ErrInvalid, "api-key"},
		{"image not found", provider.FunctionDeployment{Service: "echo", Image: "missing:1"}, provider.ErrImage, "missing:1"},
		{"wasm annotation, image not found", provider.FunctionDeployment{Service: "echo", Image: "missing:1",
			Annotations: map[string]string{provider.AnnotationRuntime: "wasm"}}, provider.ErrImage, "missing:1"},
		{"not a function", provider.FunctionDeployment{Service: "echo", Image: "bad:1"}, provider.ErrImage, "_start"},
		{"bad scale label", provider.FunctionDeployment{Service: "echo", Image: "echo:1",
			Labels: map[string]string{provider.LabelScaleMin: "lots"}}, provider.ErrInvalid, provider.LabelScaleMin},
		{"bad runtime", provider.FunctionDeployment{Service: "echo", Image: "echo:1",
			Annotations: map[string]string{provider.AnnotationRuntime: "jvm"}}, provider.ErrInvalid, "jvm"},
		{"bad memory", provider.FunctionDeployment{Service: "echo", Image: "echo:1",
			Limits: &provider.FunctionResources{Memory: "lots"}}, provider.ErrInvalid, "lots"},
		{"container without driver", provider.FunctionDeployment{Service: "echo", Image: "ctr/nginx:1"}, provider.ErrNotImplemented, "containerd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			err := f.b.Deploy(ctx, tc.d)
			wantErr(t, err, tc.class)
			if !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("error %q does not mention %q", err, tc.inText)
			}
			list, _ := f.b.Functions(ctx, "")
			if len(list) != 0 {
				t.Fatalf("failed deploy left %d functions", len(list))
			}
			for _, dir := range []string{"functions", "mounts", "wasm"} {
				if entries, _ := filepath.Glob(filepath.Join(f.dir, dir, "*", "*")); len(entries) > 0 {
					t.Fatalf("failed deploy left %v", entries)
				}
			}
			if n := f.eng.open.Load(); n != 0 {
				t.Fatalf("failed deploy left %d replicas loaded", n)
			}
		})
	}
}

func TestDeployConflictAndOthersKeepServing(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), provider.ErrAlreadyExists)
	wantErr(t, f.b.Deploy(ctx, provider.FunctionDeployment{Service: "bad", Image: "bad:1"}), provider.ErrImage)
	h, err := f.b.Invoker(ctx, "echo", "")
	wantErr(t, err, nil)
	if code, body, _ := call(t, h, "POST", "/", "x"); code != 201 || body != "echo-v1||x" {
		t.Fatalf("echo answered %d %q", code, body)
	}
}

func TestContainerRunner(t *testing.T) {
	r := newFakeRunner()
	f := newFixture(t, WithContainerDriver(r))
	d := provider.FunctionDeployment{Service: "web", Image: "ctr/nginx:1", Labels: map[string]string{provider.LabelScaleMin: "2"}}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	if r.last.Replicas != 2 || r.last.SecretsDir == "" || r.last.Spec.Labels[provider.LabelFunction] != "web" {
		t.Fatalf("driver got %+v", r.last)
	}
	st, _ := f.b.Function(ctx, "web", "")
	if st.AvailableReplicas != 2 {
		t.Fatalf("available = %d", st.AvailableReplicas)
	}
	// Switching runtime by annotation moves the function to the Wasm driver.
	d.Image, d.Annotations = "echo:1", map[string]string{provider.AnnotationRuntime: "wasm"}
	wantErr(t, f.b.Update(ctx, d), nil)
	if n, _ := r.Replicas("web", provider.DefaultNamespace); n != 0 {
		t.Fatalf("container driver still runs %d replicas", n)
	}
	h, err := f.b.Invoker(ctx, "web", "")
	wantErr(t, err, nil)
	if _, body, _ := call(t, h, "GET", "/", ""); body != "echo-v1||" {
		t.Fatalf("body %q", body)
	}
}

func TestUpdate(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Update(ctx, echoSpec("echo")), provider.ErrNotFound)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	created, _ := f.b.Function(ctx, "echo", "")
	wantErr(t, f.b.Scale(ctx, "echo", "", 3), nil)

	d := echoSpec("echo")
	d.Image, d.EnvVars = "echo:2", map[string]string{"GREETING": "hello"}
	wantErr(t, f.b.Update(ctx, d), nil)
	st, _ := f.b.Function(ctx, "echo", "")
	if st.Image != "echo:2" || st.Replicas != 3 || st.AvailableReplicas != 3 || !st.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("after update: %+v", st)
	}
	waitFor(t, func() bool { return f.eng.open.Load() == 3 }) // the old replicas close
	h, _ := f.b.Invoker(ctx, "echo", "")
	if _, body, _ := call(t, h, "POST", "/", "b"); body != "echo-v2|hello|b" {
		t.Fatalf("body %q", body)
	}

	// A failed update keeps the old replicas serving and the old spec.
	d.Image = "missing:9"
	d.Annotations = map[string]string{provider.AnnotationRuntime: "wasm"}
	wantErr(t, f.b.Update(ctx, d), provider.ErrImage)
	st, _ = f.b.Function(ctx, "echo", "")
	if st.Image != "echo:2" || st.AvailableReplicas != 3 {
		t.Fatalf("failed update changed the function: %+v", st)
	}
	if _, body, _ := call(t, h, "POST", "/", "c"); body != "echo-v2|hello|c" {
		t.Fatalf("after failed update body %q", body)
	}

	// Tightening scale.max clamps the replicas.
	d = echoSpec("echo")
	d.Labels = map[string]string{provider.LabelScaleMax: "2"}
	wantErr(t, f.b.Update(ctx, d), nil)
	if st, _ = f.b.Function(ctx, "echo", ""); st.Replicas != 2 || st.AvailableReplicas != 2 {
		t.Fatalf("after max=2: %d/%d", st.Replicas, st.AvailableReplicas)
	}
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Delete(ctx, "echo", ""), provider.ErrNotFound)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	h, _ := f.b.Invoker(ctx, "echo", "")
	wantErr(t, f.b.Delete(ctx, "echo", ""), nil)
	wantErr(t, f.b.Delete(ctx, "echo", ""), provider.ErrNotFound)
	_, err := f.b.Function(ctx, "echo", "")
	wantErr(t, err, provider.ErrNotFound)
	_, err = f.b.Invoker(ctx, "echo", "")
	wantErr(t, err, provider.ErrNotFound)
	if code, _, _ := call(t, h, "GET", "/", ""); code != 503 {
		t.Fatalf("a handler kept across delete answered %d, want 503", code)
	}
	if n := f.eng.open.Load(); n != 0 {
		t.Fatalf("%d replicas still loaded", n)
	}
	for _, p := range []string{"functions/openfaas-fn/echo.json", "mounts/openfaas-fn/echo", "wasm/openfaas-fn/echo.wasm"} {
		if _, err := os.Stat(filepath.Join(f.dir, p)); !os.IsNotExist(err) {
			t.Fatalf("%s still exists (%v)", p, err)
		}
	}
	// The name can be used again.
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
}

func TestInfo(t *testing.T) {
	f := newFixture(t, WithVersion(provider.VersionInfo{Release: "1.2.3", SHA: "abc"}))
	info := f.b.Info(ctx)
	if info.Name != "faas-wasm" || info.Orchestration != "local" || info.Version.Release != "1.2.3" || info.Version.SHA != "abc" {
		t.Fatalf("info = %+v", info)
	}
}

// A handler obtained before an update serves the call on the new replicas.
func TestHandlerFollowsUpdate(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	h, err := f.b.Invoker(ctx, "echo", "")
	wantErr(t, err, nil)
	d := echoSpec("echo")
	d.Image = "echo:2"
	wantErr(t, f.b.Update(ctx, d), nil)
	if code, body, _ := call(t, h, "POST", "/", "x"); code != 201 || body != "echo-v2||x" {
		t.Fatalf("old handler answered %d %q", code, body)
	}
}

// Warm mode is refused at deploy time for a function starting at zero
// replicas too, because the driver loads one replica to check the config.
func TestDeployChecksConfigWithZeroReplicas(t *testing.T) {
	f := newFixture(t)
	d := echoSpec("echo")
	d.Labels = map[string]string{provider.LabelScaleMin: "0"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	if st, _ := f.b.Function(ctx, "echo", ""); st.Replicas != 0 || st.AvailableReplicas != 0 || f.eng.open.Load() != 0 {
		t.Fatalf("scale.min=0 function: %+v, %d open", st, f.eng.open.Load())
	}
	wantErr(t, f.b.Scale(ctx, "echo", "", 1), nil)

	d.Service = "warm"
	d.Annotations = map[string]string{provider.AnnotationWasmMode: "warm"}
	wantErr(t, f.b.Deploy(ctx, d), provider.ErrInvalid)
	if _, err := f.b.Function(ctx, "warm", ""); err == nil {
		t.Fatal("refused deploy left the function behind")
	}
}

// TestStatusAnnotationsNeverNil checks that a function deployed without
// annotations reports an empty map, in the list and alone, so its JSON
// carries "annotations":{} (the OpenFaaS conformance tests dereference it).
func TestStatusAnnotationsNeverNil(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("bare")), nil)
	st, err := f.b.Function(ctx, "bare", "")
	wantErr(t, err, nil)
	list, err := f.b.Functions(ctx, provider.DefaultNamespace)
	wantErr(t, err, nil)
	if len(list) != 1 {
		t.Fatalf("list = %+v", list)
	}
	for _, s := range []provider.FunctionStatus{st, list[0]} {
		if s.Annotations == nil || len(s.Annotations) != 0 {
			t.Fatalf("annotations = %#v, want an empty map", s.Annotations)
		}
	}
}

// TestDeployRefusesWhatValidateRefuses is a regression test of issue 16: on
// 5770c34 local mode accepted memory 1K, cpu 1e30 (read as no limit) and a
// misspelt Wasm annotation, and ignored max-concurrency. It now refuses what
// provider.Validate refuses, with its message.
func TestDeployRefusesWhatValidateRefuses(t *testing.T) {
	f := newFixture(t)
	for _, d := range []provider.FunctionDeployment{
		{Service: "echo", Image: "echo:1", Limits: &provider.FunctionResources{Memory: "1K"}},
		{Service: "echo", Image: "echo:1", Limits: &provider.FunctionResources{CPU: "1e30"}},
		{Service: "echo", Image: "echo:1", Annotations: map[string]string{"com.openfaas.wasm.mdoe": "warm"}},
		{Service: "echo", Image: "echo:1", Annotations: map[string]string{provider.AnnotationWasmMaxConcurrency: "-2"}},
	} {
		want := provider.Validate(d)
		if want == nil {
			t.Fatalf("provider.Validate accepts %+v", d)
		}
		err := f.b.Deploy(ctx, d)
		if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("Deploy(%+v) = %v; want provider.Validate's %v", d, err, want)
		}
	}
}

// TestWasmAnnotationsApplied: local mode applies the com.openfaas.wasm.*
// annotations as the shim does, max-concurrency included (5770c34 ignored
// it here).
func TestWasmAnnotationsApplied(t *testing.T) {
	o, err := buildOptions([]Option{WithLogger(discardLogger())})
	if err != nil {
		t.Fatal(err)
	}
	w := &wasmDriver{o: &o}
	cfg, err := w.config(Deployment{Spec: provider.FunctionDeployment{Service: "echo", Image: "echo:1", Annotations: map[string]string{
		provider.AnnotationWasmMode: "warm", provider.AnnotationWasmMaxConcurrency: "3", provider.AnnotationAllowedHosts: "API.example.com, x:81",
	}}})
	if err != nil || !cfg.Warm || cfg.MaxConcurrency != 3 || !slices.Equal(cfg.AllowedHosts, []string{"api.example.com", "x:81"}) {
		t.Fatalf("config = %+v, %v", cfg, err)
	}
}
