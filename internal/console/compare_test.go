package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func startComparison(t *testing.T, c *Console, body string) (Snapshot, *httptest.ResponseRecorder) {
	t.Helper()
	rec := do(t, c, http.MethodPost, "/ui/api/compare", body)
	var s Snapshot
	if rec.Code == http.StatusAccepted {
		if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
	}
	return s, rec
}

// wait polls the comparison until it is no longer running.
func wait(t *testing.T, c *Console, id string) Snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := do(t, c, http.MethodGet, "/ui/api/compare/"+id, "")
		var s Snapshot
		if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET comparison = %d %q %v", rec.Code, rec.Body.String(), err)
		}
		if s.State != StateRunning {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("comparison still running: %+v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestComparisonCompletes(t *testing.T) {
	b := newFakeBackend()
	c := newConsole(t, b, functionsServer(t).URL, Limits{})
	s, rec := startComparison(t, c, `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":30,"concurrency":4,"coldStart":true}`)
	if rec.Code != http.StatusAccepted || s.State != StateRunning || s.Total != 4*30+2 {
		t.Fatalf("start = %d %q", rec.Code, rec.Body.String())
	}
	s = wait(t, c, s.ID)
	if s.State != StateDone || s.Done != s.Total || s.Finished == nil {
		t.Fatalf("comparison = %s %d/%d %q", s.State, s.Done, s.Total, s.Error)
	}
	for i, r := range s.Results {
		if len(r.Serial.LatenciesMs) != 30 || len(r.Concurrent.LatenciesMs) != 30 || r.Serial.Errors+r.Concurrent.Errors != 0 {
			t.Errorf("result %d: %d serial, %d concurrent, errors %q %q", i, len(r.Serial.LatenciesMs), len(r.Concurrent.LatenciesMs), r.Serial.FirstError, r.Concurrent.FirstError)
		}
		if r.ColdStartMs <= 0 || r.ColdError != "" || r.Concurrent.Throughput <= 0 {
			t.Errorf("result %d: cold %v %q, throughput %v", i, r.ColdStartMs, r.ColdError, r.Concurrent.Throughput)
		}
	}
	if s.Results[0].Function.Kind != "container" || s.Results[1].Function.Kind != "wasm" {
		t.Errorf("kinds %q %q", s.Results[0].Function.Kind, s.Results[1].Function.Kind)
	}
	// aes sleeps 1 ms per call, aes-wasm does not.
	if s.Ratios.SerialP50 >= 1 || s.Ratios.ArtifactBytes != 0.1 {
		t.Errorf("ratios %+v, want B faster and 0.1× the size", s.Ratios)
	}
	// Cold start scaled both to zero; aes-wasm had 2 replicas and gets them back.
	if want := []string{"aes.openfaas-fn=0", "aes-wasm.openfaas-fn=0", "aes-wasm.openfaas-fn=2"}; !slices.Equal(b.scales, want) {
		t.Errorf("scales %v, want %v", b.scales, want)
	}
	// The list keeps it, without latencies.
	rec = do(t, c, http.MethodGet, "/ui/api/compare", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), s.ID) || strings.Contains(rec.Body.String(), `"latenciesMs":[`) {
		t.Errorf("list = %d %q", rec.Code, rec.Body.String())
	}
}

func TestComparisonErrorsAreCounted(t *testing.T) {
	b := newFakeBackend()
	b.fns["openfaas-fn"] = append(b.fns["openfaas-fn"], b.fns["openfaas-fn"][0])
	b.fns["openfaas-fn"][2].Name = "gone" // known to the backend, 404 from the "provider"
	c := newConsole(t, b, functionsServer(t).URL, Limits{})
	s, _ := startComparison(t, c, `{"a":{"name":"aes"},"b":{"name":"gone"},"calls":5,"concurrency":2}`)
	s = wait(t, c, s.ID)
	r := s.Results[1]
	if s.State != StateDone || r.Serial.Errors != 5 || r.Concurrent.Errors != 5 || !strings.Contains(r.Serial.FirstError, "404 no such function") {
		t.Errorf("state %s, errors %d %d %q", s.State, r.Serial.Errors, r.Concurrent.Errors, r.Serial.FirstError)
	}
	if s.Ratios.SerialP50 != 0 {
		t.Errorf("ratio over no successful call = %v, want 0", s.Ratios.SerialP50)
	}
}

func TestComparisonGuards(t *testing.T) {
	c := newConsole(t, newFakeBackend(), functionsServer(t).URL, Limits{MaxCalls: 50, MaxConcurrency: 4})
	for _, tc := range []struct {
		name, body string
		want       int
		msg        string
	}{
		{"too many calls", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":51,"concurrency":1}`, 400, "calls must be 1 to 50"},
		{"no calls", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":0,"concurrency":1}`, 400, "calls must be"},
		{"too concurrent", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":5,"concurrency":5}`, 400, "concurrency must be 1 to 4"},
		{"same function", `{"a":{"name":"aes"},"b":{"name":"aes","namespace":"openfaas-fn"},"calls":5,"concurrency":1}`, 400, "two different functions"},
		{"unknown function", `{"a":{"name":"aes"},"b":{"name":"nope"},"calls":5,"concurrency":1}`, 404, "nope"},
		{"bad name", `{"a":{"name":"a/b"},"b":{"name":"aes"},"calls":5,"concurrency":1}`, 400, "a/b"},
		{"bad method", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":5,"concurrency":1,"method":"DELETE"}`, 400, "method"},
		{"bad path", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":5,"concurrency":1,"path":"x"}`, 400, "path"},
		{"unknown field", `{"a":{"name":"aes"},"b":{"name":"aes-wasm"},"calls":5,"concurrency":1,"n":3}`, 400, "unknown field"},
		{"not json", `calls=5`, 400, "comparison request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rec := startComparison(t, c, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Errorf("= %d %q, want %d with %q", rec.Code, rec.Body.String(), tc.want, tc.msg)
			}
		})
	}
	if rec := do(t, c, http.MethodGet, "/ui/api/compare/nope", ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown comparison = %d", rec.Code)
	}
}

// TestComparisonOnePerFunctionAndCancel: a function already being compared
// is refused (409) until the first comparison is cancelled, which ends it
// with its calls in flight.
func TestComparisonOnePerFunctionAndCancel(t *testing.T) {
	c := newConsole(t, newFakeBackend(), functionsServer(t).URL, Limits{})
	s, rec := startComparison(t, c, `{"a":{"name":"slow","namespace":"team"},"b":{"name":"aes"},"calls":100,"concurrency":2}`)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("start = %d %q", rec.Code, rec.Body.String())
	}
	_, rec = startComparison(t, c, `{"a":{"name":"aes-wasm"},"b":{"name":"slow","namespace":"team"},"calls":5,"concurrency":1}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "slow.team is already being compared") {
		t.Fatalf("second comparison of slow = %d %q, want 409", rec.Code, rec.Body.String())
	}
	start := time.Now()
	if rec := do(t, c, http.MethodDelete, "/ui/api/compare/"+s.ID, ""); rec.Code != http.StatusOK {
		t.Fatalf("cancel = %d %q", rec.Code, rec.Body.String())
	}
	s = wait(t, c, s.ID)
	if s.State != StateCancelled || s.Done >= s.Total {
		t.Errorf("after cancel: %s %d/%d", s.State, s.Done, s.Total)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	s2, rec := startComparison(t, c, `{"a":{"name":"aes-wasm"},"b":{"name":"slow","namespace":"team"},"calls":2,"concurrency":1}`)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("after cancel, a new comparison of slow = %d %q", rec.Code, rec.Body.String())
	}
	wait(t, c, s2.ID)
}

// TestComparisonTimeLimit stops a comparison at MaxDuration.
func TestComparisonTimeLimit(t *testing.T) {
	c := newConsole(t, newFakeBackend(), functionsServer(t).URL, Limits{MaxDuration: 300 * time.Millisecond})
	s, _ := startComparison(t, c, `{"a":{"name":"slow","namespace":"team"},"b":{"name":"aes"},"calls":100,"concurrency":1}`)
	s = wait(t, c, s.ID)
	if s.State != StateFailed || !strings.Contains(s.Error, "limit of 300ms") {
		t.Errorf("state %s %q, want failed at the limit", s.State, s.Error)
	}
}

func TestSummarize(t *testing.T) {
	ms := make([]float64, 100)
	for i := range ms {
		ms[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	got := summarize(ms)
	want := Summary{Min: 1, P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if ms[0] != 100 {
		t.Error("summarize sorted its input")
	}
	if (summarize(nil) != Summary{}) || (summarize([]float64{7}) != Summary{Min: 7, P50: 7, P90: 7, P99: 7, Max: 7, Mean: 7}) {
		t.Error("empty or single-value summary")
	}
}
