package reliability

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// callback is one result posted to a callbackServer.
type callback struct {
	id, status, name, body string
	start                  time.Time
	duration               time.Duration
	at                     time.Time
}

// callbackServer receives asynchronous results on loopback, keyed by
// X-Call-Id; it counts repeats (delivery is at least once).
type callbackServer struct {
	*httptest.Server
	mu      sync.Mutex
	got     map[string]callback
	repeats int
	arrived chan struct{}
}

func newCallbackServer(t testing.TB) *callbackServer {
	s := &callbackServer{got: map[string]callback{}, arrived: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ns, _ := strconv.ParseInt(r.Header.Get("X-Start-Time"), 10, 64)
		secs, _ := strconv.ParseFloat(r.Header.Get("X-Duration-Seconds"), 64)
		c := callback{id: r.Header.Get("X-Call-Id"), status: r.Header.Get("X-Function-Status"), name: r.Header.Get("X-Function-Name"),
			body: string(body), start: time.Unix(0, ns), duration: time.Duration(secs * float64(time.Second)), at: time.Now()}
		s.mu.Lock()
		if _, ok := s.got[c.id]; ok {
			s.repeats++
		} else {
			s.got[c.id] = c
		}
		s.mu.Unlock()
		select {
		case s.arrived <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// count returns how many distinct calls reported.
func (s *callbackServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// wait waits until every id reported, or fails after limit.
func (s *callbackServer) wait(t testing.TB, ids []string, limit time.Duration) map[string]callback {
	t.Helper()
	deadline := time.After(limit)
	for {
		s.mu.Lock()
		missing := 0
		for _, id := range ids {
			if _, ok := s.got[id]; !ok {
				missing++
			}
		}
		s.mu.Unlock()
		if missing == 0 {
			s.mu.Lock()
			defer s.mu.Unlock()
			out := make(map[string]callback, len(ids))
			for _, id := range ids {
				out[id] = s.got[id]
			}
			return out
		}
		select {
		case <-s.arrived:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d calls never reached the callback in %v", missing, len(ids), limit)
		}
	}
}

// submit posts an asynchronous call and returns its call id.
func submit(t testing.TB, p *proc, path, body, callbackURL string) string {
	t.Helper()
	id, err := submitCall(p, path, body, callbackURL)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// submitCall posts an asynchronous call and returns its call id; anything
// but 202 with a call id is an error.
func submitCall(p *proc, path, body, callbackURL string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, p.URL+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Callback-Url", callbackURL)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Call-Id") == "" {
		return "", fmt.Errorf("POST %s = %d %q (X-Call-Id %q), want 202 with a call id", path, resp.StatusCode, msg, resp.Header.Get("X-Call-Id"))
	}
	return resp.Header.Get("X-Call-Id"), nil
}

// maxOverlap is the largest number of the callbacks' runs
// [start, start+duration] that overlap.
func maxOverlap(cbs map[string]callback) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, c := range cbs {
		edges = append(edges, edge{c.start, 1}, edge{c.start.Add(c.duration), -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

// TestAsyncInvocationsBothKinds queues calls to a Wasm and a container
// function of a real provider (local mode, embedded NATS) with a callback
// receiver on loopback: every call reaches the callback once with the
// function's answer and the queue-worker's headers, and no more than
// --async-concurrency calls of a function run at once.
func TestAsyncInvocationsBothKinds(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	args := []string{"--async-concurrency", "2"}
	containers := os.Geteuid() == 0
	if _, err := os.Stat(hostContainerd); err == nil && containers {
		args = append(args, "--containerd-socket", hostContainerd)
	} else {
		containers = false
	}
	p := startProvider(t, t.TempDir(), args...)
	cb := newCallbackServer(t)

	t.Run("wasm", func(t *testing.T) {
		p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
			Service: "async-wasm", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
			Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
		})
		checkAsync(t, p, cb, "async-wasm", func(i int) string { return fmt.Sprintf("ok wasm-%d", i) })
	})
	t.Run("container", func(t *testing.T) {
		if !containers {
			testenv.Missingf(t, "container functions need root and containerd at %s", hostContainerd)
		}
		marker := "async-" + randHex(t)
		code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{
			Service: "async-box", Image: pushBox(t, registry, marker),
			Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer},
		})
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("deploy container function = %d %q %v", code, body, err)
		}
		t.Cleanup(func() {
			p.call(http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: "async-box"})
		})
		waitReady(t, p.URL+"/function/async-box")
		checkAsync(t, p, cb, "async-box", func(int) string { return "ok " })
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			path, callback string
			want           int
		}{
			{"/async-function/nope", cb.URL, http.StatusNotFound},
			{"/async-function/async-wasm", "not-a-url", http.StatusBadRequest},
		} {
			code, body, err := p.call(http.MethodPost, tc.path, "x", "X-Callback-Url", tc.callback)
			if err != nil || code != tc.want {
				t.Errorf("POST %s (callback %q) = %d %q %v, want %d", tc.path, tc.callback, code, body, err, tc.want)
			}
		}
	})
}

// checkAsync submits 8 calls of one second to fn and checks their callbacks.
func checkAsync(t *testing.T, p *proc, cb *callbackServer, fn string, wantPrefix func(i int) string) {
	t.Helper()
	const n = 8
	var ids []string
	index := map[string]int{}
	for i := range n {
		id := submit(t, p, "/async-function/"+fn+"/sub?sleep=1s", fmt.Sprintf("wasm-%d", i), cb.URL+"/done")
		ids = append(ids, id)
		index[id] = i
	}
	got := cb.wait(t, ids, 2*time.Minute)
	for id, c := range got {
		if c.status != "200" || c.name != fn || !strings.HasPrefix(c.body, wantPrefix(index[id])) || c.duration < time.Second {
			t.Errorf("callback of %s: status %q name %q body %q duration %v", id, c.status, c.name, c.body, c.duration)
		}
	}
	if peak := maxOverlap(got); peak != 2 {
		t.Errorf("%d calls of %s ran at once, want --async-concurrency 2", peak, fn)
	}
}

// TestAsyncQueueFullAnswers429 fills a queue of 3 calls: the fourth is
// refused with 429 and a message naming the limit.
func TestAsyncQueueFullAnswers429(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	p := startProvider(t, t.TempDir(), "--async-queue-max", "3", "--async-concurrency", "1")
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "slow", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	cb := newCallbackServer(t)
	var ids []string
	for range 3 {
		ids = append(ids, submit(t, p, "/async-function/slow?sleep=3s", "", cb.URL))
	}
	code, body, err := p.call(http.MethodPost, "/async-function/slow", "", "X-Callback-Url", cb.URL)
	if err != nil || code != http.StatusTooManyRequests || !strings.Contains(body, "limit of 3 calls") {
		t.Fatalf("fourth call into a queue of 3 = %d %q %v, want 429 naming the limit", code, body, err)
	}
	cb.wait(t, ids, time.Minute)
}

// TestAsyncSIGKILLLosesNothing SIGKILLs the provider while calls are
// queued and running, restarts it on the same state dir, and checks that
// every accepted call reaches the callback (at least once).
func TestAsyncSIGKILLLosesNothing(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	state := t.TempDir()
	args := []string{"--async-concurrency", "4", "--async-ack-wait", "2s"}
	p := startProvider(t, state, args...)
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "victim", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	cb := newCallbackServer(t)
	const n = 200
	ids := make([]string, 0, n)
	for i := range n {
		ids = append(ids, submit(t, p, "/async-function/victim?sleep=50ms", strconv.Itoa(i), cb.URL))
	}
	for cb.count() < 20 {
		<-cb.arrived
	}
	p.Kill()
	before := cb.count()
	t.Logf("SIGKILL after %d of %d callbacks", before, n)
	if before == n {
		t.Fatal("every call finished before the kill: the test proves nothing")
	}
	start := time.Now()
	p = startProvider(t, state, args...)
	cb.wait(t, ids, 2*time.Minute)
	cb.mu.Lock()
	t.Logf("all %d calls reached the callback %v after the restart; %d repeated (at least once)", n, time.Since(start).Round(time.Millisecond), cb.repeats)
	cb.mu.Unlock()
	_ = p
}
