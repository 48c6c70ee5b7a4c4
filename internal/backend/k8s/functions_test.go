package k8s

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestDeployBuildsDeploymentAndService(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-pass", Namespace: provider.DefaultNamespace}}
	c := newFake(secret)
	b := newBackend(t, c, WithRuntimeClass("wasm-rc"))
	tests := []struct {
		name         string
		fn           provider.FunctionDeployment
		runtimeClass string
		replicas     int32
	}{
		{"container", provider.FunctionDeployment{
			Service: "aes", Image: "127.0.0.1:5000/aes:1", EnvProcess: "./handler",
			EnvVars: map[string]string{"b": "2", "a": "1"}, Secrets: []string{"db-pass"},
			Labels:      map[string]string{provider.LabelScaleMin: "2"},
			Annotations: map[string]string{"topic": "x"},
			Limits:      &provider.FunctionResources{Memory: "128Mi", CPU: "500m"},
			Requests:    &provider.FunctionResources{Memory: "64Mi"},
			Constraints: []string{"kubernetes.io/arch=amd64"}, ReadOnlyRootFilesystem: true,
		}, "", 2},
		{"wasm", provider.FunctionDeployment{
			Service: "aes-wasm", Image: "127.0.0.1:5000/aes-wasm:1",
			Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
		}, "wasm-rc", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deployed(t, b, tt.fn)
			d, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, tt.fn.Service, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *d.Spec.Replicas != tt.replicas {
				t.Errorf("replicas = %d, want %d", *d.Spec.Replicas, tt.replicas)
			}
			for k, v := range map[string]string{provider.LabelFunction: tt.fn.Service, LabelApp: tt.fn.Service, LabelManagedBy: ManagedBy} {
				if d.Labels[k] != v || d.Spec.Template.Labels[k] != v {
					t.Errorf("label %s = %q / %q, want %q", k, d.Labels[k], d.Spec.Template.Labels[k], v)
				}
			}
			if d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
				t.Errorf("maxUnavailable = %v", d.Spec.Strategy.RollingUpdate.MaxUnavailable)
			}
			pod := d.Spec.Template.Spec
			if got := ""; pod.RuntimeClassName != nil {
				got = *pod.RuntimeClassName
				if got != tt.runtimeClass {
					t.Errorf("runtimeClassName = %q, want %q", got, tt.runtimeClass)
				}
			} else if tt.runtimeClass != "" {
				t.Errorf("no runtimeClassName, want %q", tt.runtimeClass)
			}
			ctr := pod.Containers[0]
			if ctr.Image != tt.fn.Image || ctr.ReadinessProbe.HTTPGet.Path != "/_/health" || ctr.ReadinessProbe.HTTPGet.Port.IntValue() != 8080 {
				t.Errorf("container image %q readiness %+v", ctr.Image, ctr.ReadinessProbe.HTTPGet)
			}
			svc, err := c.CoreV1().Services(provider.DefaultNamespace).Get(ctx, tt.fn.Service, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("service: %v", err)
			}
			if svc.Spec.Ports[0].Port != 8080 || svc.Spec.Selector[provider.LabelFunction] != tt.fn.Service {
				t.Errorf("service %+v", svc.Spec)
			}
			st, err := b.Function(ctx, tt.fn.Service, "")
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := normalize(tt.fn, provider.DefaultNamespace, 20)
			if st.Image != want.Image || st.EnvProcess != want.EnvProcess || !reflect.DeepEqual(st.EnvVars, want.EnvVars) ||
				!reflect.DeepEqual(st.Labels, want.Labels) || !reflect.DeepEqual(st.Annotations, want.Annotations) ||
				!reflect.DeepEqual(st.Limits, want.Limits) || !reflect.DeepEqual(st.Requests, want.Requests) ||
				!reflect.DeepEqual(st.Secrets, want.Secrets) || st.ReadOnlyRootFilesystem != want.ReadOnlyRootFilesystem ||
				st.Replicas != uint64(tt.replicas) {
				t.Errorf("status %+v does not echo %+v", st, want)
			}
		})
	}
	t.Run("container details", func(t *testing.T) {
		d, _ := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "aes", metav1.GetOptions{})
		ctr := d.Spec.Template.Spec.Containers[0]
		wantEnv := []corev1.EnvVar{{Name: "fprocess", Value: "./handler"}, {Name: "a", Value: "1"}, {Name: "b", Value: "2"}}
		if !reflect.DeepEqual(ctr.Env, wantEnv) {
			t.Errorf("env = %v", ctr.Env)
		}
		if ctr.Resources.Limits.Memory().String() != "128Mi" || ctr.Resources.Limits.Cpu().String() != "500m" {
			t.Errorf("limits = %v", ctr.Resources.Limits)
		}
		if !*ctr.SecurityContext.ReadOnlyRootFilesystem {
			t.Error("root filesystem not read-only")
		}
		var mounted bool
		for _, m := range ctr.VolumeMounts {
			mounted = mounted || (m.MountPath == provider.SecretsPath && m.ReadOnly)
		}
		if !mounted {
			t.Errorf("secrets not mounted read-only: %v", ctr.VolumeMounts)
		}
		if d.Spec.Template.Spec.NodeSelector["kubernetes.io/arch"] != "amd64" {
			t.Errorf("node selector = %v", d.Spec.Template.Spec.NodeSelector)
		}
	})
}

func TestDeployErrors(t *testing.T) {
	ctx := context.Background()
	foreign := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: provider.DefaultNamespace,
		Labels: map[string]string{"app": "nginx"}}}
	foreignSvc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: provider.DefaultNamespace}}
	c := newFake(foreign, foreignSvc)
	b := newBackend(t, c)
	deployed(t, b, provider.FunctionDeployment{Service: "exists", Image: "img:1"})
	tests := []struct {
		name string
		fn   provider.FunctionDeployment
		want error
	}{
		{"clash with a foreign deployment", provider.FunctionDeployment{Service: "nginx", Image: "img:1"}, provider.ErrAlreadyExists},
		{"clash with a foreign service", provider.FunctionDeployment{Service: "web", Image: "img:1"}, provider.ErrAlreadyExists},
		{"function exists", provider.FunctionDeployment{Service: "exists", Image: "img:1"}, provider.ErrAlreadyExists},
		{"unknown namespace", provider.FunctionDeployment{Service: "f", Image: "img:1", Namespace: "nope"}, provider.ErrNotFound},
		{"unknown secret", provider.FunctionDeployment{Service: "f", Image: "img:1", Secrets: []string{"nope"}}, provider.ErrNotFound},
		{"bad name", provider.FunctionDeployment{Service: "Bad_Name", Image: "img:1"}, provider.ErrInvalid},
		{"no image", provider.FunctionDeployment{Service: "f"}, provider.ErrInvalid},
		{"bad memory", provider.FunctionDeployment{Service: "f", Image: "img:1", Limits: &provider.FunctionResources{Memory: "lots"}}, provider.ErrInvalid},
		{"bad runtime", provider.FunctionDeployment{Service: "f", Image: "img:1", Annotations: map[string]string{provider.AnnotationRuntime: "jvm"}}, provider.ErrInvalid},
		{"bad constraint", provider.FunctionDeployment{Service: "f", Image: "img:1", Constraints: []string{"zone"}}, provider.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Deploy(ctx, tt.fn); !errors.Is(err, tt.want) {
				t.Fatalf("Deploy = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "web", metav1.GetOptions{}); err == nil {
		t.Error("deployment of a deploy refused for a service clash left behind")
	}
	d, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "nginx", metav1.GetOptions{})
	if err != nil || !reflect.DeepEqual(d.Labels, foreign.Labels) || d.Annotations[AnnotationSpec] != "" {
		t.Errorf("foreign deployment touched: %+v, %v", d, err)
	}
	for _, op := range []struct {
		name string
		err  error
	}{
		{"update foreign", b.Update(ctx, provider.FunctionDeployment{Service: "nginx", Image: "img:2"})},
		{"update missing", b.Update(ctx, provider.FunctionDeployment{Service: "missing", Image: "img:2"})},
		{"scale foreign", b.Scale(ctx, "nginx", "", 0)},
		{"delete foreign", b.Delete(ctx, "nginx", "")},
		{"delete missing", b.Delete(ctx, "missing", "")},
	} {
		if !errors.Is(op.err, provider.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", op.name, op.err)
		}
	}
	if _, err := b.Function(ctx, "nginx", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Function(nginx) = %v, want ErrNotFound", err)
	}
}

func TestUpdateKeepsReplicasAndDeleteRemoves(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	fn := provider.FunctionDeployment{Service: "f", Image: "img:1", EnvVars: map[string]string{"v": "1"}}
	deployed(t, b, fn)
	if err := b.Scale(ctx, "f", "", 3); err != nil {
		t.Fatal(err)
	}
	fn.Image, fn.EnvVars = "img:2", map[string]string{"v": "2"}
	if err := b.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
	eventually(t, "updated status", func() bool {
		st, err := b.Function(ctx, "f", "")
		return err == nil && st.Image == "img:2" && st.EnvVars["v"] == "2" && st.Replicas == 3
	})
	if err := b.Delete(ctx, "f", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Services(provider.DefaultNamespace).Get(ctx, "f", metav1.GetOptions{}); err == nil {
		t.Error("service left behind")
	}
	eventually(t, "function gone", func() bool {
		_, err := b.Function(ctx, "f", "")
		return errors.Is(err, provider.ErrNotFound)
	})
}

// TestDeleteInForeground: Delete asks for foreground propagation, and a
// function whose Deployment is still being deleted (its pods stopping) is
// neither listed nor invocable, and cannot be deployed again or updated —
// so the old pods never answer for a new function of the same name.
func TestDeleteInForeground(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	fn := provider.FunctionDeployment{Service: "f", Image: "img:1"}
	deployed(t, b, fn)
	if err := b.Delete(ctx, "f", ""); err != nil {
		t.Fatal(err)
	}
	var policy *metav1.DeletionPropagation
	for _, a := range c.Actions() {
		if del, ok := a.(k8stesting.DeleteAction); ok && a.GetResource().Resource == "deployments" {
			policy = del.GetDeleteOptions().PropagationPolicy
		}
	}
	if policy == nil || *policy != metav1.DeletePropagationForeground {
		t.Fatalf("deployment deleted with propagation %v, want Foreground", policy)
	}

	deployed(t, b, fn)
	d, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "f", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	d.DeletionTimestamp = &now // what the API server shows while the pods stop
	if _, err := c.AppsV1().Deployments(provider.DefaultNamespace).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "function hidden while being deleted", func() bool {
		_, err := b.Function(ctx, "f", "")
		return errors.Is(err, provider.ErrNotFound)
	})
	if list, err := b.Functions(ctx, ""); err != nil || len(list) != 0 {
		t.Errorf("Functions = %v, %v; want none while f is being deleted", list, err)
	}
	if _, err := b.Invoker(ctx, "f", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Invoker = %v, want ErrNotFound", err)
	}
	if err := b.Deploy(ctx, fn); !errors.Is(err, provider.ErrAlreadyExists) || !strings.Contains(err.Error(), "being deleted") {
		t.Errorf("Deploy = %v, want ErrAlreadyExists saying it is being deleted", err)
	}
	if err := b.Update(ctx, fn); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Update = %v, want ErrNotFound", err)
	}
	if err := b.Scale(ctx, "f", "", 2); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Scale = %v, want ErrNotFound", err)
	}
}

// TestStatusAnnotationsNeverNil checks that a function deployed without
// annotations reports an empty map, in the list and alone, so its JSON
// carries "annotations":{} (the OpenFaaS conformance tests dereference it).
func TestStatusAnnotationsNeverNil(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, newFake())
	deployed(t, b, provider.FunctionDeployment{Service: "bare", Image: "127.0.0.1:5000/bare:1"})
	st, err := b.Function(ctx, "bare", "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := b.Functions(ctx, provider.DefaultNamespace)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	for _, s := range []provider.FunctionStatus{st, list[0]} {
		if s.Annotations == nil || len(s.Annotations) != 0 {
			t.Fatalf("annotations = %#v, want an empty map", s.Annotations)
		}
	}
}

// TestDeployRefusesWhatValidateRefuses is a regression test of issue 16: on
// 5770c34 this backend deployed com.openfaas.wasm.mode=hot (the shim then
// ran it as fresh), an unknown Wasm annotation and memory 1K. It now refuses
// them with provider.Validate's own message, before writing anything.
func TestDeployRefusesWhatValidateRefuses(t *testing.T) {
	c := newFake()
	b := newBackend(t, c)
	for _, fn := range []provider.FunctionDeployment{
		{Service: "f", Image: "r/f:1", Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm, provider.AnnotationWasmMode: "hot"}},
		{Service: "f", Image: "r/f:1", Annotations: map[string]string{provider.AnnotationWasmMaxConcurrency: "0"}},
		{Service: "f", Image: "r/f:1", Annotations: map[string]string{"com.openfaas.wasm.allowed-host": "api.example.com"}},
		{Service: "f", Image: "r/f:1", Limits: &provider.FunctionResources{Memory: "1K"}},
	} {
		want := provider.Validate(fn)
		if want == nil {
			t.Fatalf("provider.Validate accepts %+v", fn)
		}
		err := b.Deploy(context.Background(), fn)
		if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("Deploy(%+v) = %v; want provider.Validate's %v", fn, err, want)
		}
	}
	if list, _ := c.AppsV1().Deployments(provider.DefaultNamespace).List(context.Background(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Fatalf("refused deploys created %d Deployments", len(list.Items))
	}
}
