package handlers

import (
	"fmt"
	"slices"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// alertBody is an AlertManager webhook payload with one alert.
func alertBody(status string, labels string) string {
	return fmt.Sprintf(`{"receiver":"scale-up","status":%q,"version":"4","alerts":[{"status":%q,"labels":%s,"annotations":{"description":"x"}}]}`,
		status, status, labels)
}

func TestAlert(t *testing.T) {
	const fnLabel = `{"alertname":"APIHighInvocationRate","function_name":"echo"}`
	for _, tc := range []struct {
		name       string
		labels     map[string]string
		replicas   uint64
		body       string
		want       int
		wantScales []uint64
	}{
		{name: "firing adds 20% of max", labels: map[string]string{provider.LabelScaleMax: "10"}, replicas: 1,
			body: alertBody("firing", fnLabel), want: 200, wantScales: []uint64{3}},
		{name: "firing without max uses the configured ceiling", replicas: 1,
			body: alertBody("firing", fnLabel), want: 200, wantScales: []uint64{5}},
		{name: "firing stops at max", labels: map[string]string{provider.LabelScaleMax: "10"}, replicas: 9,
			body: alertBody("firing", fnLabel), want: 200, wantScales: []uint64{10}},
		{name: "firing at max changes nothing", labels: map[string]string{provider.LabelScaleMax: "4"}, replicas: 4,
			body: alertBody("firing", fnLabel), want: 200},
		{name: "factor 0 turns alert scaling off", labels: map[string]string{LabelScaleFactor: "0"}, replicas: 2,
			body: alertBody("firing", fnLabel), want: 200},
		{name: "factor 50", labels: map[string]string{LabelScaleFactor: "50", provider.LabelScaleMax: "4"}, replicas: 1,
			body: alertBody("firing", fnLabel), want: 200, wantScales: []uint64{3}},
		{name: "resolved goes back to min", labels: map[string]string{provider.LabelScaleMin: "2"}, replicas: 7,
			body: alertBody("resolved", fnLabel), want: 200, wantScales: []uint64{2}},
		{name: "resolved leaves a function at zero", replicas: 0,
			body: alertBody("resolved", fnLabel), want: 200},
		{name: "namespace in function_name", replicas: 1,
			body: alertBody("firing", `{"alertname":"APIHighInvocationRate","function_name":"echo.openfaas-fn"}`), want: 200, wantScales: []uint64{5}},
		{name: "service label as fallback", replicas: 1,
			body: alertBody("firing", `{"alertname":"APIHighInvocationRate","service":"echo"}`), want: 200, wantScales: []uint64{5}},
		{name: "unknown function", replicas: 1,
			body: alertBody("firing", `{"function_name":"nope"}`), want: 404},
		{name: "no function named", replicas: 1, body: alertBody("firing", `{"alertname":"x"}`), want: 400},
		{name: "unknown status", replicas: 1, body: alertBody("pending", fnLabel), want: 400},
		{name: "bad factor", labels: map[string]string{LabelScaleFactor: "150"}, replicas: 1, body: alertBody("firing", fnLabel), want: 400},
		{name: "no alerts", replicas: 1, body: `{"status":"firing","alerts":[]}`, want: 400},
		{name: "not JSON", replicas: 1, body: `firing`, want: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{MaxReplicas: 20})
			e.deploy("echo", "", tc.labels)
			e.fb.functions[key("echo", provider.DefaultNamespace)].status.Replicas = tc.replicas
			resp, body := e.do("POST", "/system/alert", tc.body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.want)
			}
			if got := e.fb.scaleCalls(); !slices.Equal(got, tc.wantScales) {
				t.Fatalf("scale calls %v, want %v", got, tc.wantScales)
			}
		})
	}
}
