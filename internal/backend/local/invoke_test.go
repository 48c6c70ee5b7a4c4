package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestScale(t *testing.T) {
	f := newFixture(t)
	d := echoSpec("echo")
	d.Labels = map[string]string{provider.LabelScaleMin: "2", provider.LabelScaleMax: "4"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	wantErr(t, f.b.Scale(ctx, "nope", "", 1), provider.ErrNotFound)
	compiles := f.eng.compiles.Load()
	for _, tc := range []struct {
		name      string
		ask, want uint64
	}{
		{"up", 3, 3},
		{"clamped to max", 100, 4},
		{"down", 1, 1},
		{"to zero", 0, 0},
		{"from zero", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, f.b.Scale(ctx, "echo", "", tc.ask), nil)
			st, _ := f.b.Function(ctx, "echo", "")
			if st.Replicas != tc.want || st.AvailableReplicas != tc.want {
				t.Fatalf("replicas %d/%d, want %d", st.Replicas, st.AvailableReplicas, tc.want)
			}
			// Replicas scaled away close once their calls end, asynchronously.
			waitFor(t, func() bool { return f.eng.open.Load() == int64(tc.want) })
			_, err := f.b.Invoker(ctx, "echo", "")
			if tc.want == 0 {
				wantErr(t, err, provider.ErrUnavailable)
			} else {
				wantErr(t, err, nil)
			}
		})
	}
	if f.eng.compiles.Load() != compiles {
		t.Fatal("scaling compiled the module again")
	}
}

// TestWakeFromZero: a function at zero is scaled to its minimum, one with
// replicas requested is left as it is (a scale since the caller saw zero
// wins), an unknown one is ErrNotFound.
func TestWakeFromZero(t *testing.T) {
	f := newFixture(t)
	d := echoSpec("echo")
	d.Labels = map[string]string{provider.LabelScaleMin: "2", provider.LabelScaleMax: "4"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	wantErr(t, f.b.WakeFromZero(ctx, "nope", ""), provider.ErrNotFound)
	for _, tc := range []struct {
		name string
		from uint64
		want uint64
	}{
		{"at zero", 0, 2},
		{"scaled since", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, f.b.Scale(ctx, "echo", "", tc.from), nil)
			wantErr(t, f.b.WakeFromZero(ctx, "echo", ""), nil)
			st, _ := f.b.Function(ctx, "echo", "")
			if st.Replicas != tc.want || st.AvailableReplicas != tc.want {
				t.Fatalf("replicas %d/%d, want %d", st.Replicas, st.AvailableReplicas, tc.want)
			}
		})
	}
}

func TestInvoke(t *testing.T) {
	f := newFixture(t, WithMaxRequestBytes(8))
	d := echoSpec("echo")
	d.EnvVars = map[string]string{"GREETING": "hi"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	h, err := f.b.Invoker(ctx, "echo", "")
	wantErr(t, err, nil)
	for _, tc := range []struct {
		name, path, body string
		code             int
		inBody           string
	}{
		{"echo", "/", "abc", 201, "echo-v1|hi|abc"},
		{"failure", "/fail", "", 500, "function echo: wasm function exited with code 3"},
		{"timeout", "/timeout", "", 504, "timed out"},
		{"response too large", "/big", "", 502, "too large"},
		{"request too large", "/", "123456789", 413, "larger than 8 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, hdr := call(t, h, "POST", tc.path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.inBody) {
				t.Fatalf("got %d %q, want %d with %q", code, body, tc.code, tc.inBody)
			}
			if code == 201 && (hdr.Get("X-Fake") != "yes" || hdr.Get("X-Duration-Seconds") == "") {
				t.Fatalf("headers %v", hdr)
			}
		})
	}
	t.Run("body cut by an outer MaxBytesReader", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/", strings.NewReader("12345"))
		req.Body = http.MaxBytesReader(rec, req.Body, 3)
		h.ServeHTTP(rec, req)
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), "larger than 3 bytes") {
			t.Fatalf("got %d %q", rec.Code, rec.Body.String())
		}
	})
	st, _ := f.b.Function(ctx, "echo", "")
	if st.InvocationCount != 0 { // package metrics counts, not the backend
		t.Fatalf("invocationCount = %v from the backend, want 0", st.InvocationCount)
	}
	lines := collect(t, f.b, provider.LogRequest{Name: "echo"})
	if len(lines) != 4 || lines[0].Text != "got abc" || lines[0].Instance != "echo-1" || lines[0].Namespace != provider.DefaultNamespace {
		t.Fatalf("log lines %+v", lines)
	}
	if !strings.Contains(lines[1].Text, "invocation failed (500)") {
		t.Fatalf("failure not logged: %+v", lines[1])
	}
}

func TestInvokeSpreadsOverReplicas(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	wantErr(t, f.b.Scale(ctx, "echo", "", 3), nil)
	h, _ := f.b.Invoker(ctx, "echo", "")
	for range 30 {
		call(t, h, "POST", "/", "x")
	}
	seen := map[string]int{}
	for _, m := range collect(t, f.b, provider.LogRequest{Name: "echo"}) {
		seen[m.Instance]++
	}
	if len(seen) != 3 {
		t.Fatalf("calls went to %v, want 3 replicas", seen)
	}
	for id, n := range seen {
		if n != 10 {
			t.Fatalf("replica %s served %d of 30 sequential calls, want 10 (round robin)", id, n)
		}
	}
}

// A busy replica is skipped while another is free; scaling down waits for
// in-flight calls before closing a replica.
func TestInvokeLeastBusyAndDrain(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	wantErr(t, f.b.Scale(ctx, "echo", "", 2), nil)
	h, _ := f.b.Invoker(ctx, "echo", "")
	slow, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		req, _ := http.NewRequestWithContext(slow, "GET", "/slow", nil)
		h.ServeHTTP(discard{}, req)
	}()
	waitFor(t, func() bool { return f.b.wasmBusy("echo") == 1 })
	for range 4 {
		call(t, h, "POST", "/", "x")
	}
	byInstance := map[string]int{}
	for _, m := range collect(t, f.b, provider.LogRequest{Name: "echo"}) {
		byInstance[m.Instance]++
	}
	if len(byInstance) != 1 {
		t.Fatalf("calls went to %v while one replica was busy, want only the free one", byInstance)
	}
	wantErr(t, f.b.Scale(ctx, "echo", "", 0), nil)
	waitFor(t, func() bool { return f.eng.open.Load() == 1 }) // the idle replica closes
	time.Sleep(20 * time.Millisecond)
	if n := f.eng.open.Load(); n != 1 {
		t.Fatalf("%d replicas open after scale to 0 with a call in flight, want 1 until it ends", n)
	}
	cancel()
	wg.Wait()
	waitFor(t, func() bool { return f.eng.open.Load() == 0 })
}

// wasmBusy sums the in-flight calls of a Wasm function's replicas.
func (b *Host) wasmBusy(name string) int64 {
	fn, err := b.wasm.(*wasmDriver).get(name, provider.DefaultNamespace)
	if err != nil {
		return -1
	}
	fn.mu.RLock()
	defer fn.mu.RUnlock()
	var n int64
	for _, s := range fn.replicas {
		n += s.busy.Load()
	}
	return n
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// collect reads a non-following log stream to its end.
func collect(t *testing.T, b *Host, req provider.LogRequest) []provider.LogMessage {
	t.Helper()
	ch, err := b.Logs(ctx, req)
	wantErr(t, err, nil)
	var out []provider.LogMessage
	for m := range ch {
		out = append(out, m)
	}
	return out
}
