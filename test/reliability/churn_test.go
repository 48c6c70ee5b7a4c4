package reliability

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestConcurrentDeployUpdateDelete deploys, updates and deletes 200
// functions from 20 concurrent clients; the list must then hold exactly
// the survivors with their updated spec, and the same after a restart.
func TestConcurrentDeployUpdateDelete(t *testing.T) {
	const n, workers = 200, 20
	registry := ocitest.NewRegistry(t)
	ref := pushWasm(t, registry, "neighbour", neighbourWasm)
	state := t.TempDir()
	p := startProvider(t, state)
	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}

	errs := make(chan error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs <- churn(p, ref, wasm, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d deploys, %d updates, %d deletes from %d clients in %v", n, n, n/2, workers, time.Since(start).Round(time.Millisecond))

	var want []string
	for i := 1; i < n; i += 2 {
		want = append(want, fmt.Sprintf("fn-%03d", i))
	}
	checkList := func(t *testing.T, p *proc) {
		t.Helper()
		var list []provider.FunctionStatus
		p.decode(t, "/system/functions", &list)
		var got []string
		for _, st := range list {
			got = append(got, st.Name)
			if st.EnvVars["VERSION"] != "2" {
				t.Errorf("%s has VERSION=%q, want the update's 2", st.Name, st.EnvVars["VERSION"])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("list has %d functions, want exactly the %d survivors:\ngot  %v\nwant %v", len(got), len(want), got, want)
		}
	}
	checkList(t, p)
	p.terminate(t, 60*time.Second)
	p = startProvider(t, state)
	checkList(t, p)
	if _, err := hit(p.URL+"/function/"+want[len(want)-1], "ok"); err != nil {
		t.Errorf("restored function does not answer: %v", err)
	}
}

// churn deploys fn-i, updates it and, for even i, deletes it.
func churn(p *proc, ref string, ann map[string]string, i int) error {
	name := fmt.Sprintf("fn-%03d", i)
	steps := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: name, Image: ref, Annotations: ann, EnvVars: map[string]string{"VERSION": "1"}}},
		{http.MethodPut, "/system/functions", provider.FunctionDeployment{Service: name, Image: ref, Annotations: ann, EnvVars: map[string]string{"VERSION": "2"}}},
	}
	if i%2 == 0 {
		steps = append(steps, struct {
			method, path string
			body         any
		}{http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: name}})
	}
	for _, s := range steps {
		code, body, err := p.call(s.method, s.path, s.body)
		if err != nil {
			return fmt.Errorf("%s %s %s: %w", s.method, s.path, name, err)
		}
		if code != http.StatusAccepted {
			return fmt.Errorf("%s %s %s = %d %.200q", s.method, s.path, name, code, body)
		}
	}
	return nil
}
