package metrics

import (
	"testing"
	"time"
)

func TestAsyncObserver(t *testing.T) {
	m := New(WithProcessMetrics(false))
	m.AsyncCall("echo.dev", "accepted")
	m.AsyncCall("echo.dev", "accepted")
	m.AsyncCall("echo.dev", "rejected")
	m.AsyncCallback("echo.dev", "retried")
	m.AsyncCallback("echo.dev", "delivered")
	m.AsyncDone("echo.dev", 1500*time.Millisecond)
	m.AsyncQueueDepth(func() float64 { return 7 })
	fams := scrape(t, m.Handler())
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"faaswasm_async_calls_total", map[string]string{"function_name": "echo.dev", "outcome": "accepted"}, 2},
		{"faaswasm_async_calls_total", map[string]string{"function_name": "echo.dev", "outcome": "rejected"}, 1},
		{"faaswasm_async_callbacks_total", map[string]string{"function_name": "echo.dev", "outcome": "retried"}, 1},
		{"faaswasm_async_callbacks_total", map[string]string{"function_name": "echo.dev", "outcome": "delivered"}, 1},
	} {
		if s, ok := sample(fams, tc.family, tc.labels); !ok || s.GetCounter().GetValue() != tc.want {
			t.Errorf("%s%v = %v, want %g", tc.family, tc.labels, s, tc.want)
		}
	}
	if s, ok := sample(fams, "faaswasm_async_completion_seconds", map[string]string{"function_name": "echo.dev"}); !ok ||
		s.GetHistogram().GetSampleCount() != 1 || s.GetHistogram().GetSampleSum() != 1.5 {
		t.Errorf("completion histogram %v", s)
	}
	if s, ok := sample(fams, "faaswasm_async_queue_depth", nil); !ok || s.GetGauge().GetValue() != 7 {
		t.Errorf("queue depth %v", s)
	}
	m.Forget("echo", "dev")
	if _, ok := sample(scrape(t, m.Handler()), "faaswasm_async_calls_total", map[string]string{"function_name": "echo.dev"}); ok {
		t.Fatal("async calls of a forgotten function still exported")
	}
}
