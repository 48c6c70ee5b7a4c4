package provider

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := FunctionDeployment{Service: "echo", Image: "echo:1"}
	with := func(f func(*FunctionDeployment)) FunctionDeployment {
		d := ok
		f(&d)
		return d
	}
	for _, d := range []FunctionDeployment{
		ok,
		with(func(d *FunctionDeployment) { d.Namespace = "team-a" }),
		with(func(d *FunctionDeployment) { d.Limits = &FunctionResources{Memory: "1e9", CPU: "0.5m", NvidiaGPU: "1"} }),
		with(func(d *FunctionDeployment) { d.Requests = &FunctionResources{Memory: "+1Gi", CPU: "1"} }),
		with(func(d *FunctionDeployment) {
			d.Annotations = map[string]string{AnnotationRuntime: RuntimeWasm, AnnotationWasmMode: "warm",
				AnnotationWasmMaxConcurrency: "4", AnnotationAllowedHosts: "api.example.com:443"}
		}),
		with(func(d *FunctionDeployment) { d.Labels = map[string]string{LabelScaleZero: "true", LabelScaleMin: "0"} }),
		with(func(d *FunctionDeployment) {
			d.Labels = map[string]string{LabelScaleType: ScaleTypeCapacity, LabelScaleTarget: "2.5"}
		}),
	} {
		if err := Validate(d); err != nil {
			t.Errorf("Validate(%+v) = %v", d, err)
		}
	}
	for _, tc := range []struct {
		d    FunctionDeployment
		text string
	}{
		{FunctionDeployment{Image: "echo:1"}, "service is required"},
		{with(func(d *FunctionDeployment) { d.Image = "" }), "image is required"},
		{with(func(d *FunctionDeployment) { d.Image = "echo: 1" }), "whitespace"},
		{with(func(d *FunctionDeployment) { d.Namespace = "Team" }), "namespace name"},
		{with(func(d *FunctionDeployment) { d.Secrets = []string{"a_b"} }), "secret name"},
		{with(func(d *FunctionDeployment) { d.EnvVars = map[string]string{"A=B": "c"} }), "environment variable"},
		{with(func(d *FunctionDeployment) { d.Labels = map[string]string{LabelScaleMin: "3", LabelScaleMax: "2"} }), LabelScaleMin},
		{with(func(d *FunctionDeployment) { d.Labels = map[string]string{LabelScaleZero: "yes"} }), LabelScaleZero},
		{with(func(d *FunctionDeployment) { d.Labels = map[string]string{LabelScaleType: "memory"} }), LabelScaleType},
		{with(func(d *FunctionDeployment) { d.Labels = map[string]string{LabelScaleTarget: "0"} }), LabelScaleTarget},
		{with(func(d *FunctionDeployment) { d.Annotations = map[string]string{AnnotationRuntime: "jvm"} }), "jvm"},
		{with(func(d *FunctionDeployment) { d.Annotations = map[string]string{AnnotationWasmMode: "hot"} }), AnnotationWasmMode},
		{with(func(d *FunctionDeployment) { d.Annotations = map[string]string{AnnotationWasmMaxConcurrency: "0"} }), AnnotationWasmMaxConcurrency},
		{with(func(d *FunctionDeployment) { d.Limits = &FunctionResources{Memory: "1K"} }), `memory "1K"`},
		{with(func(d *FunctionDeployment) { d.Requests = &FunctionResources{CPU: "-1"} }), `cpu "-1" is negative`},
		{with(func(d *FunctionDeployment) { d.Limits = &FunctionResources{AMDGPU: "lots"} }), "amd.com/gpu"},
	} {
		err := Validate(tc.d)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("Validate(%+v) = %v; want ErrInvalid naming %q", tc.d, err, tc.text)
		}
	}
}
