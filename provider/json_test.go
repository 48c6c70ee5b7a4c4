package provider

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// keysOf marshals v and returns its top-level JSON keys, sorted, and the
// object itself.
func keysOf(t *testing.T, v any) ([]string, map[string]json.RawMessage) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, m
}

func keys(s string) []string {
	out := strings.Fields(s)
	slices.Sort(out)
	return out
}

// TestContractJSONKeys is the audit of the contract's JSON against
// faas-provider's types (which faas-cli 0.18 and gateway 0.27 decode into,
// and the gateway re-encodes with): one row per decision, with the keys a
// zero and a full value must carry.
//
//   - FunctionStatus: name and image always; labels and annotations always,
//     {} when empty (faas-netes sets both pointers; conformance dereferences
//     annotations); namespace present whenever set (backends always set it);
//     every other field omitted when zero, as upstream — zero replicas too
//     (the gateway drops them anyway when it re-encodes), createdAt always
//     (a struct: omitempty never applies).
//   - FunctionDeployment, FunctionResources, ScaleServiceRequest,
//     DeleteFunctionRequest, Secret, SecretRef, FunctionNamespace: exactly
//     upstream's keys and omitempty.
//   - ProviderInfo: provider, orchestration, version{sha, release} always;
//     commit_message omitted when empty.
//   - GatewayInfo (local mode's /system/info, the gateway's types.GatewayInfo
//     that faas-cli version decodes): provider, version, arch always.
//   - LogMessage: every key always (faas-cli prints them all).
func TestContractJSONKeys(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	res := &FunctionResources{Memory: "128Mi", CPU: "500m"}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"status zero", FunctionStatus{Name: "f", Image: "i"},
			"name image labels annotations createdAt"},
		{"status as backends build it", FunctionStatus{Name: "f", Image: "i", Namespace: DefaultNamespace,
			Labels: map[string]string{LabelFunction: "f"}, CreatedAt: created},
			"name image namespace labels annotations createdAt"},
		{"status full", FunctionStatus{Name: "f", Image: "i", Namespace: "n", EnvProcess: "p",
			EnvVars: map[string]string{"a": "1"}, Constraints: []string{"c"}, Secrets: []string{"s"},
			Labels: map[string]string{"l": "1"}, Annotations: map[string]string{"a": "1"},
			Limits: res, Requests: res, ReadOnlyRootFilesystem: true, InvocationCount: 3,
			Replicas: 2, AvailableReplicas: 1, CreatedAt: created, Usage: &FunctionUsage{CPU: 1, TotalMemoryBytes: 2}},
			"name image namespace envProcess envVars constraints secrets labels annotations limits requests " +
				"readOnlyRootFilesystem invocationCount replicas availableReplicas createdAt usage"},
		{"deployment zero", FunctionDeployment{Service: "f", Image: "i"}, "service image"},
		{"deployment full", FunctionDeployment{Service: "f", Image: "i", Namespace: "n", EnvProcess: "p",
			EnvVars: map[string]string{"a": "1"}, Constraints: []string{"c"}, Secrets: []string{"s"},
			Labels: map[string]string{"l": "1"}, Annotations: map[string]string{"a": "1"},
			Limits: res, Requests: res, ReadOnlyRootFilesystem: true},
			"service image namespace envProcess envVars constraints secrets labels annotations limits requests readOnlyRootFilesystem"},
		{"resources zero", FunctionResources{}, ""},
		{"resources full", FunctionResources{Memory: "1", CPU: "1", NvidiaGPU: "1", AMDGPU: "1", IntelGPU: "1"},
			"memory cpu nvidia.com/gpu amd.com/gpu intel.com/gpu"},
		{"usage zero", FunctionUsage{}, ""},
		{"scale zero", ScaleServiceRequest{}, "serviceName replicas"},
		{"scale full", ScaleServiceRequest{ServiceName: "f", Replicas: 1, Namespace: "n"}, "serviceName replicas namespace"},
		{"delete zero", DeleteFunctionRequest{}, "functionName"},
		{"delete full", DeleteFunctionRequest{FunctionName: "f", Namespace: "n"}, "functionName namespace"},
		{"info zero", ProviderInfo{}, "provider orchestration version"},
		{"version zero", VersionInfo{}, "sha release"},
		{"gateway info zero", GatewayInfo{}, "provider version arch"},
		{"version full", VersionInfo{CommitMessage: "m", SHA: "s", Release: "r"}, "commit_message sha release"},
		{"secret zero", Secret{}, "name"},
		{"secret full", Secret{Name: "s", Namespace: "n", Value: "v", RawValue: []byte("r")}, "name namespace value rawValue"},
		{"secret ref", SecretRef{Name: "s", Namespace: "n"}, "name namespace"},
		{"namespace zero", FunctionNamespace{Name: "n"}, "name"},
		{"namespace full", FunctionNamespace{Name: "n", Labels: map[string]string{"l": "1"}, Annotations: map[string]string{"a": "1"}},
			"name labels annotations"},
		{"log message zero", LogMessage{}, "name namespace instance timestamp text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := keysOf(t, tt.v)
			if want := keys(tt.want); !slices.Equal(got, want) {
				t.Fatalf("keys = %v, want %v", got, want)
			}
		})
	}
}

// TestStatusEmptyMapsAreObjects checks the form of labels and annotations
// when a status has none: {} — never null — also inside a list.
func TestStatusEmptyMapsAreObjects(t *testing.T) {
	for _, v := range []any{
		FunctionStatus{Name: "f"},
		&FunctionStatus{Name: "f", Labels: map[string]string{}},
		[]FunctionStatus{{Name: "f"}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"labels":{}`, `"annotations":{}`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %s", b, want)
			}
		}
	}
	var st FunctionStatus
	if err := json.Unmarshal([]byte(`{"name":"f","annotations":{"a":"1"},"labels":null}`), &st); err != nil ||
		st.Annotations["a"] != "1" || st.Labels != nil {
		t.Fatalf("decode = %+v, %v", st, err)
	}
}

// TestDecodeClientBodies decodes bodies in the forms faas-cli 0.18 and the
// gateway send (faas-provider's types with pointer maps: {} or null for
// none, limits with memory and cpu only) into the contract's types.
func TestDecodeClientBodies(t *testing.T) {
	var d FunctionDeployment
	body := `{"service":"f","image":"r/f:1","namespace":"openfaas-fn","envProcess":"./handler",` +
		`"envVars":{"A":"1"},"constraints":null,"secrets":["s"],"labels":{},"annotations":null,` +
		`"limits":{"memory":"128Mi","cpu":"500m"},"requests":{"memory":"64Mi"},"readOnlyRootFilesystem":true}`
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Service != "f" || d.Image != "r/f:1" || d.Namespace != DefaultNamespace || d.EnvProcess != "./handler" ||
		d.EnvVars["A"] != "1" || len(d.Secrets) != 1 || d.Limits.CPU != "500m" || d.Requests.Memory != "64Mi" ||
		!d.ReadOnlyRootFilesystem {
		t.Fatalf("deployment = %+v", d)
	}
	var s ScaleServiceRequest
	if err := json.Unmarshal([]byte(`{"serviceName":"f","replicas":0,"namespace":"dev"}`), &s); err != nil ||
		s != (ScaleServiceRequest{ServiceName: "f", Namespace: "dev"}) {
		t.Fatalf("scale = %+v, %v", s, err)
	}
	var ns FunctionNamespace
	if err := json.Unmarshal([]byte(`{"name":"dev","labels":{"openfaas":"1"},"annotations":{"openfaas":"1"}}`), &ns); err != nil ||
		ns.Name != "dev" || ns.Labels["openfaas"] != "1" || ns.Annotations["openfaas"] != "1" {
		t.Fatalf("namespace = %+v, %v", ns, err)
	}
}
