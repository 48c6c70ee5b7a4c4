package charttest

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestDefaults(t *testing.T) {
	m := render(t, Release{}, nil)
	want := []string{
		"Namespace/openfaas-fn", "ServiceAccount/faas-wasm-prometheus", "ServiceAccount/faas-wasm-provider", "Secret/basic-auth",
		"ConfigMap/faas-wasm-nats", "ConfigMap/faas-wasm-prometheus", "ClusterRole/faas-wasm-provider", "ClusterRoleBinding/faas-wasm-provider",
		"Role/faas-wasm-prometheus", "RoleBinding/faas-wasm-prometheus", "RuntimeClass/faas-wasm",
		"Service/faas-wasm-nats", "Service/faas-wasm-prometheus", "Service/gateway", "Service/faas-wasm-provider",
		"DaemonSet/faas-wasm-node-installer", "Deployment/faas-wasm", "Deployment/faas-wasm-nats", "Deployment/faas-wasm-prometheus",
	}
	if got := kinds(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects\n got %v\nwant %v", got, want)
	}
	for _, o := range m.Objects {
		switch o.GetKind() {
		case "Namespace", "ClusterRole", "ClusterRoleBinding", "RuntimeClass":
			if o.GetNamespace() != "" {
				t.Errorf("%s/%s is cluster-scoped but has namespace %q", o.GetKind(), o.GetName(), o.GetNamespace())
			}
		default:
			if o.GetNamespace() != "openfaas" {
				t.Errorf("%s/%s: namespace %q, want openfaas", o.GetKind(), o.GetName(), o.GetNamespace())
			}
		}
	}

	var ns corev1.Namespace
	typed(t, m, "Namespace", "openfaas-fn", &ns)
	if ns.Labels["openfaas"] != "1" {
		t.Errorf("function namespace labels %v, want openfaas=1", ns.Labels)
	}

	var rc nodev1.RuntimeClass
	typed(t, m, "RuntimeClass", "faas-wasm", &rc)
	if rc.Handler != "faaswasm" || rc.Scheduling == nil || !reflect.DeepEqual(rc.Scheduling.NodeSelector, map[string]string{"faas-wasm/runtime": "true"}) {
		t.Errorf("RuntimeClass handler %q scheduling %+v", rc.Handler, rc.Scheduling)
	}

	var ds appsv1.DaemonSet
	typed(t, m, "DaemonSet", "faas-wasm-node-installer", &ds)
	pod := ds.Spec.Template.Spec
	if !reflect.DeepEqual(pod.NodeSelector, map[string]string{"faas-wasm/runtime": "true"}) {
		t.Errorf("installer nodeSelector %v", pod.NodeSelector)
	}
	if c := pod.Containers[0]; c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Error("installer is not privileged")
	}
	wantInstaller := map[string]string{"host-root": "/host", "bin-dir": "/usr/local/bin", "cache-dir": "/var/lib/faas-wasm/cache",
		"runtime-name": "faaswasm", "containerd-config": "/etc/containerd/config.toml", "restart": "systemd", "shim-group": "pod"}
	if got := argsOf(pod.Containers[0].Args); !reflect.DeepEqual(got, wantInstaller) {
		t.Errorf("installer args %v, want %v", got, wantInstaller)
	}
	if pod.Volumes[0].HostPath == nil || pod.Volumes[0].HostPath.Path != "/" || pod.Containers[0].VolumeMounts[0].MountPath != "/host" {
		t.Errorf("installer host mount: %+v %+v", pod.Volumes, pod.Containers[0].VolumeMounts)
	}

	var sec corev1.Secret
	typed(t, m, "Secret", "basic-auth", &sec)
	user, pass := sec.Data["basic-auth-user"], sec.Data["basic-auth-password"]
	if string(user) != "admin" || !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).Match(pass) {
		t.Errorf("basic-auth user %q password %q: want admin and 32 random alphanumerics", user, pass)
	}

	var dep appsv1.Deployment
	typed(t, m, "Deployment", "faas-wasm", &dep)
	spec := dep.Spec.Template.Spec
	if spec.ServiceAccountName != "faas-wasm-provider" {
		t.Errorf("serviceAccountName %q", spec.ServiceAccountName)
	}
	if len(spec.Containers) != 2 || spec.Containers[0].Name != "gateway" || spec.Containers[1].Name != "provider" {
		t.Fatalf("containers %v, want gateway and provider", spec.Containers)
	}
	gw := envOf(spec.Containers[0].Env)
	wantGW := map[string]string{"functions_provider_url": "http://127.0.0.1:8081/", "direct_functions": "false",
		"read_timeout": "65s", "write_timeout": "65s", "upstream_timeout": "60s", "scale_from_zero": "true",
		"basic_auth": "true", "secret_mount_path": "/var/secrets/gateway",
		"faas_prometheus_host": "faas-wasm-prometheus", "faas_prometheus_port": "9090"}
	if !reflect.DeepEqual(gw, wantGW) {
		t.Errorf("gateway env %v, want %v", gw, wantGW)
	}
	if spec.Containers[0].Image != "ghcr.io/openfaas/gateway:0.27.12" {
		t.Errorf("gateway image %q", spec.Containers[0].Image)
	}
	prov := spec.Containers[1]
	wantArgs := map[string]string{"mode": "kubernetes", "addr": ":8081", "namespace": "openfaas-fn", "state-dir": "/tmp/faas-wasm",
		"read-timeout": "60s", "write-timeout": "60s", "function-timeout": "60s", "scale-from-zero-timeout": "30s",
		"max-replicas": "20", "max-body-bytes": "33554432", "autoscale": "true", "autoscale-interval": "2s",
		"scale-down-cooldown": "1m", "log-level": "info", "log-format": "json", "basic-auth": "true",
		"secret-mount-path": "/var/openfaas/secrets", "cold-wasm-concurrency": "8", "cold-wasm-memory": "1Gi",
		"wasm-module-cache": "256Mi"}
	got := argsOf(prov.Args)
	for k := range got {
		if strings.HasPrefix(k, "async") || k == "nats-url" {
			delete(got, k) // TestAsyncDefaults checks them
		}
	}
	if !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("provider args\n got %v\nwant %v", got, wantArgs)
	}
	if env := envOf(prov.Env); env["FAAS_WASM_RUNTIME_CLASS"] != "faas-wasm" {
		t.Errorf("provider env %v", env)
	}
	if prov.SecurityContext == nil || prov.SecurityContext.ReadOnlyRootFilesystem == nil || !*prov.SecurityContext.ReadOnlyRootFilesystem ||
		spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Error("provider must run as non-root with a read-only root filesystem")
	}
}

func envOf(env []corev1.EnvVar) map[string]string {
	out := map[string]string{}
	for _, e := range env {
		out[e.Name] = e.Value
	}
	return out
}

// TestRBACMatchesBackend: the chart grants exactly what internal/backend/k8s/rbac.yaml (the
// backend's documented least privilege) lists, to the provider only.
func TestRBACMatchesBackend(t *testing.T) {
	var want rbacv1.ClusterRole
	readYAML(t, "../../internal/backend/k8s/rbac.yaml", &want)
	if len(want.Rules) == 0 {
		t.Fatal("internal/backend/k8s/rbac.yaml has no rules")
	}
	for _, rel := range []Release{{}, {Name: "edge", Namespace: "faas"}} {
		t.Run(rel.Name+"/"+rel.Namespace, func(t *testing.T) {
			m := render(t, rel, nil)
			name := "faas-wasm-provider"
			ns := "openfaas"
			if rel.Name != "" {
				name, ns = rel.Name+"-faas-wasm-provider", rel.Namespace
			}
			var role rbacv1.ClusterRole
			typed(t, m, "ClusterRole", name, &role)
			if !reflect.DeepEqual(role.Rules, want.Rules) {
				t.Errorf("rules\n got %+v\nwant %+v", role.Rules, want.Rules)
			}
			for _, r := range role.Rules {
				if slices.Contains(r.Verbs, "*") || slices.Contains(r.Resources, "*") || slices.Contains(r.APIGroups, "*") {
					t.Errorf("wildcard rule %+v", r)
				}
			}
			var b rbacv1.ClusterRoleBinding
			typed(t, m, "ClusterRoleBinding", name, &b)
			wantSubj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}}
			if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != name || !reflect.DeepEqual(b.Subjects, wantSubj) {
				t.Errorf("binding %+v %+v", b.RoleRef, b.Subjects)
			}
			for _, o := range m.Objects {
				// The only Role is Prometheus's (pods list/watch in the release namespace: TestPrometheusDefaults).
				prom := strings.TrimSuffix(name, "-provider") + "-prometheus"
				if k := o.GetKind(); ((k == "Role" || k == "RoleBinding") && o.GetName() != prom) || (k == "ClusterRole" && o.GetName() != name) {
					t.Errorf("unexpected %s/%s", k, o.GetName())
				}
			}
		})
	}
}
