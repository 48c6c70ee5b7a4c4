package provider

import "testing"

func TestNormalized(t *testing.T) {
	in := FunctionDeployment{
		Service: "echo", Image: "img", EnvVars: map[string]string{"a": "1"},
		Labels: map[string]string{"team": "x"}, Secrets: []string{"s"},
		Limits: &FunctionResources{Memory: "64Mi"},
	}
	out := in.Normalized("ns")
	if out.Namespace != "ns" || out.Labels[LabelFunction] != "echo" || out.Labels["team"] != "x" {
		t.Fatalf("Normalized = %+v", out)
	}
	in.EnvVars["a"], in.Labels["team"], in.Secrets[0], in.Limits.Memory = "2", "y", "t", "1Gi"
	if out.EnvVars["a"] != "1" || out.Labels["team"] != "x" || out.Secrets[0] != "s" || out.Limits.Memory != "64Mi" {
		t.Fatalf("copy shares memory with the input: %+v", out)
	}
	if _, ok := in.Labels[LabelFunction]; ok {
		t.Fatal("Normalized changed the input's labels")
	}
	if got := (FunctionDeployment{Service: "f"}).Normalized("n"); got.Labels[LabelFunction] != "f" || got.Limits != nil {
		t.Fatalf("Normalized of a bare deployment = %+v", got)
	}
}
