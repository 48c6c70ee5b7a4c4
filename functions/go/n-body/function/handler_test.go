package function

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantBody   string
	}{
		{"", 200, "{\n  \"steps\": 1000,\n  \"energy_before\": \"-0.169075164\",\n  \"energy_after\": \"-0.169087605\"\n}\n"},
		{"n=0", 200, "{\n  \"steps\": 0,\n  \"energy_before\": \"-0.169075164\",\n  \"energy_after\": \"-0.169075164\"\n}\n"},
		{"n=x", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := handlertest.Do(t, Handle, httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil), tt.wantStatus)
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body\n%s\nwant\n%s", rec.Body, tt.wantBody)
			}
		})
	}
}

// TestSimulateReference checks the benchmarks game's published energies
// for 1,000 steps.
func TestSimulateReference(t *testing.T) {
	before, after := Simulate(1000)
	if got := [2]string{fmt9(before), fmt9(after)}; got != [2]string{"-0.169075164", "-0.169087605"} {
		t.Fatalf("energies %v", got)
	}
}

func fmt9(v float64) string { return fmt.Sprintf("%.9f", v) }
