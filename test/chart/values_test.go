package charttest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
)

func TestNonDefaultValues(t *testing.T) {
	tests := []struct {
		name  string
		rel   Release
		vals  map[string]any
		check func(t *testing.T, m *Manifest)
	}{
		{"gateway disabled", Release{}, set("gateway.enabled", false), func(t *testing.T, m *Manifest) {
			if m.Find("Service", "gateway") != nil {
				t.Error("gateway Service rendered with gateway.enabled=false")
			}
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "faas-wasm", &dep)
			if c := dep.Spec.Template.Spec.Containers; len(c) != 1 || c[0].Name != "provider" {
				t.Errorf("containers %v, want only the provider", c)
			}
			var svc corev1.Service
			typed(t, m, "Service", "faas-wasm-provider", &svc)
			if svc.Spec.Ports[0].Port != 8081 {
				t.Errorf("provider Service port %d", svc.Spec.Ports[0].Port)
			}
			if !strings.Contains(m.Notes, "svc/faas-wasm-provider port 8081") || strings.Contains(m.Notes, "svc/gateway") {
				t.Errorf("NOTES:\n%s", m.Notes)
			}
		}},
		{"own runtime class and handler", Release{}, set("runtimeClass.name", "wasm-spin", "runtimeClass.handler", "spin", "runtimeClass.nodeSelector", map[string]any{"faas-wasm/runtime": nil}), func(t *testing.T, m *Manifest) {
			var rc nodev1.RuntimeClass
			typed(t, m, "RuntimeClass", "wasm-spin", &rc)
			if rc.Handler != "spin" || rc.Scheduling != nil {
				t.Errorf("RuntimeClass handler %q scheduling %+v", rc.Handler, rc.Scheduling)
			}
			var ds appsv1.DaemonSet
			typed(t, m, "DaemonSet", "faas-wasm-node-installer", &ds)
			if got := argsOf(ds.Spec.Template.Spec.Containers[0].Args)["runtime-name"]; got != "spin" {
				t.Errorf("installer runtime name %q, want the handler", got)
			}
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "faas-wasm", &dep)
			if got := envOf(dep.Spec.Template.Spec.Containers[1].Env)["FAAS_WASM_RUNTIME_CLASS"]; got != "wasm-spin" {
				t.Errorf("provider runtime class %q", got)
			}
		}},
		{"no RuntimeClass, no installer", Release{}, set("runtimeClass.create", false, "nodeInstaller.enabled", false), func(t *testing.T, m *Manifest) {
			for _, o := range m.Objects {
				if o.GetKind() == "RuntimeClass" || o.GetKind() == "DaemonSet" {
					t.Errorf("unexpected %s/%s", o.GetKind(), o.GetName())
				}
			}
		}},
		{"installer options", Release{}, set("nodeInstaller.nodeSelector", map[string]any{"pool": "wasm", "faas-wasm/runtime": nil}, "nodeInstaller.containerdConfig", "",
			"nodeInstaller.dropIn", "/etc/faas-wasm-cluster/containerd.d/faaswasm.toml", "nodeInstaller.restart", "none",
			"nodeInstaller.tolerations", []any{map[string]any{"key": "wasm", "operator": "Exists"}}, "nodeInstaller.shimGroup", "node"), func(t *testing.T, m *Manifest) {
			var ds appsv1.DaemonSet
			typed(t, m, "DaemonSet", "faas-wasm-node-installer", &ds)
			pod := ds.Spec.Template.Spec
			if !reflect.DeepEqual(pod.NodeSelector, map[string]string{"pool": "wasm"}) || len(pod.Tolerations) != 1 || pod.Tolerations[0].Key != "wasm" {
				t.Errorf("nodeSelector %v tolerations %v", pod.NodeSelector, pod.Tolerations)
			}
			args := argsOf(pod.Containers[0].Args)
			if _, ok := args["containerd-config"]; ok || args["drop-in"] != "/etc/faas-wasm-cluster/containerd.d/faaswasm.toml" || args["restart"] != "none" || args["shim-group"] != "node" {
				t.Errorf("installer args %v", args)
			}
		}},
		{"basic auth given", Release{}, set("basicAuth.user", "ops", "basicAuth.password", "s3cret-pass"), func(t *testing.T, m *Manifest) {
			var sec corev1.Secret
			typed(t, m, "Secret", "basic-auth", &sec)
			if string(sec.Data["basic-auth-user"]) != "ops" || string(sec.Data["basic-auth-password"]) != "s3cret-pass" {
				t.Errorf("secret data %q", sec.Data)
			}
		}},
		{"namespaces", Release{Name: "edge", Namespace: "faas"}, set("functionNamespace", "fn", "extraFunctionNamespaces", []any{"team-a", "fn"}), func(t *testing.T, m *Manifest) {
			for _, ns := range []string{"fn", "team-a"} {
				var n corev1.Namespace
				typed(t, m, "Namespace", ns, &n)
				if n.Labels["openfaas"] != "1" {
					t.Errorf("%s labels %v", ns, n.Labels)
				}
			}
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "edge-faas-wasm", &dep)
			if got := argsOf(dep.Spec.Template.Spec.Containers[1].Args)["namespace"]; got != "fn" {
				t.Errorf("--namespace %q", got)
			}
		}},
		{"namespaces not created", Release{}, set("createFunctionNamespaces", false), func(t *testing.T, m *Manifest) {
			if m.Find("Namespace", "openfaas-fn") != nil {
				t.Error("namespace rendered with createFunctionNamespaces=false")
			}
		}},
		{"provider values", Release{}, set("provider.image", "127.0.0.1:5000/faas-wasm:dev", "provider.port", 9000, "provider.functionTimeout", "2m",
			"provider.scaleFromZeroTimeout", "45s", "provider.maxReplicas", 5, "provider.maxBodyBytes", 1048576, "provider.autoscale", false,
			"provider.logLevel", "debug", "provider.extraArgs", []any{"--shutdown-timeout=5s"}, "provider.replicas", 2,
			"provider.coldWasm.concurrency", 0, "provider.coldWasm.memory", "3Gi", "provider.coldWasm.moduleCache", "0",
			"gateway.image", "example.com/gateway:1", "gateway.upstreamTimeout", "30s", "gateway.scaleFromZero", false,
			"gateway.service.type", "NodePort", "gateway.service.nodePort", 31112), func(t *testing.T, m *Manifest) {
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "faas-wasm", &dep)
			spec := dep.Spec.Template.Spec
			args := argsOf(spec.Containers[1].Args)
			for k, v := range map[string]string{"addr": ":9000", "function-timeout": "2m", "scale-from-zero-timeout": "45s", "max-replicas": "5",
				"max-body-bytes": "1048576", "autoscale": "false", "log-level": "debug", "shutdown-timeout": "5s",
				"cold-wasm-concurrency": "0", "cold-wasm-memory": "3Gi", "wasm-module-cache": "0"} {
				if args[k] != v {
					t.Errorf("--%s=%q, want %q", k, args[k], v)
				}
			}
			gw := envOf(spec.Containers[0].Env)
			if gw["functions_provider_url"] != "http://127.0.0.1:9000/" || gw["upstream_timeout"] != "30s" || gw["scale_from_zero"] != "false" {
				t.Errorf("gateway env %v", gw)
			}
			if spec.Containers[0].Image != "example.com/gateway:1" || spec.Containers[1].Image != "127.0.0.1:5000/faas-wasm:dev" || *dep.Spec.Replicas != 2 {
				t.Errorf("images %q %q replicas %d", spec.Containers[0].Image, spec.Containers[1].Image, *dep.Spec.Replicas)
			}
			var svc corev1.Service
			typed(t, m, "Service", "gateway", &svc)
			if svc.Spec.Type != corev1.ServiceTypeNodePort || svc.Spec.Ports[0].NodePort != 31112 {
				t.Errorf("gateway Service %+v", svc.Spec)
			}
		}},
		{"trusted build keys", Release{}, set("provider.trustedBuildKeys", buildKeyPEM(t)), func(t *testing.T, m *Manifest) {
			var cm corev1.ConfigMap
			typed(t, m, "ConfigMap", "faas-wasm-build-keys", &cm)
			if cm.Data["trusted-build-keys.pem"] != buildKeyPEM(t) {
				t.Errorf("ConfigMap data %q", cm.Data)
			}
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "faas-wasm", &dep)
			spec := dep.Spec.Template.Spec
			prov := spec.Containers[1]
			const file = "/etc/faas-wasm/build-keys/trusted-build-keys.pem"
			if got := argsOf(prov.Args)["trusted-build-key"]; got != file {
				t.Errorf("--trusted-build-key=%q, want %s", got, file)
			}
			var mounted, volume bool
			for _, vm := range prov.VolumeMounts {
				mounted = mounted || (vm.Name == "build-keys" && vm.MountPath == "/etc/faas-wasm/build-keys" && vm.ReadOnly)
			}
			for _, v := range spec.Volumes {
				volume = volume || (v.Name == "build-keys" && v.ConfigMap != nil && v.ConfigMap.Name == "faas-wasm-build-keys")
			}
			if !mounted || !volume {
				t.Errorf("build-keys ConfigMap not mounted read-only at /etc/faas-wasm/build-keys: volumes %+v mounts %+v", spec.Volumes, prov.VolumeMounts)
			}
			if dep.Spec.Template.Annotations["checksum/build-keys"] == "" {
				t.Error("no checksum/build-keys annotation: a key change would not restart the provider")
			}
			// The node installer writes the same keys for the nodes' shim.
			var ds appsv1.DaemonSet
			typed(t, m, "DaemonSet", "faas-wasm-node-installer", &ds)
			inst := ds.Spec.Template.Spec
			if got := argsOf(inst.Containers[0].Args)["trusted-build-keys"]; got != file {
				t.Errorf("installer -trusted-build-keys=%q, want %s (args %q)", got, file, inst.Containers[0].Args)
			}
			mounted, volume = false, false
			for _, vm := range inst.Containers[0].VolumeMounts {
				mounted = mounted || (vm.Name == "build-keys" && vm.MountPath == "/etc/faas-wasm/build-keys" && vm.ReadOnly)
			}
			for _, v := range inst.Volumes {
				volume = volume || (v.Name == "build-keys" && v.ConfigMap != nil && v.ConfigMap.Name == "faas-wasm-build-keys")
			}
			if !mounted || !volume || ds.Spec.Template.Annotations["checksum/build-keys"] == "" {
				t.Errorf("installer: build-keys not mounted read-only, or no checksum annotation: volumes %+v mounts %+v annotations %v", inst.Volumes, inst.Containers[0].VolumeMounts, ds.Spec.Template.Annotations)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, render(t, tt.rel, tt.vals)) })
	}
}

// buildKeyPEM is a PEM ed25519 public key as faas-wasm keygen writes it
// (a fixed seed: the same key on every call).
func buildKeyPEM(t *testing.T) string {
	t.Helper()
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)).Public()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
