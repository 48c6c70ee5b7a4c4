package reliability

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestSIGTERMDrainsInFlightCalls sends SIGTERM while slow calls (the guest
// sleeps 1 s) are running: they must all complete with 200, new
// connections must be refused, the exit must be clean and within the
// shutdown timeout, and a restart must show every function.
func TestSIGTERMDrainsInFlightCalls(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushWasm(t, registry, "neighbour", neighbourWasm)
	state := t.TempDir()
	p := startProvider(t, state, "--shutdown-timeout", "10s")
	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}
	for _, name := range []string{"slow", "other"} {
		p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: name, Image: ref, Annotations: wasm})
	}
	if _, err := hit(p.URL+"/function/slow", "ok"); err != nil {
		t.Fatal(err)
	}

	const inFlight = 8
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for i := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = hit(p.URL+"/function/slow?sleep=1s", "ok")
		}()
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := p.Cmd.Process.Signal(sigterm); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted after SIGTERM")
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("in-flight call %d: %v", i, err)
		}
	}
	select {
	case <-p.Done:
	case <-time.After(15 * time.Second):
		t.Fatal("provider did not exit after draining")
	}
	took := time.Since(start)
	if p.Err != nil {
		t.Errorf("exit after SIGTERM: %v", p.Err)
	}
	t.Logf("SIGTERM with %d calls of 1 s in flight: %d completed with 200, exit after %v", inFlight, inFlight-countErrs(errs), took.Round(time.Millisecond))

	p = startProvider(t, state)
	var list []provider.FunctionStatus
	p.decode(t, "/system/functions", &list)
	if len(list) != 2 {
		t.Fatalf("after restart %d functions, want 2", len(list))
	}
}

// TestSIGTERMIsBounded checks that calls outliving --shutdown-timeout do
// not hold the process: it exits about the timeout after SIGTERM.
func TestSIGTERMIsBounded(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	p := startProvider(t, t.TempDir(), "--shutdown-timeout", "1s")
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "slow", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hit(p.URL+"/function/slow?sleep=20s", "ok")
		}()
	}
	time.Sleep(500 * time.Millisecond)
	took := p.terminate(t, 10*time.Second)
	wg.Wait()
	t.Logf("SIGTERM with 4 calls of 20 s in flight and --shutdown-timeout 1s: exit after %v", took.Round(time.Millisecond))
	if took > 6*time.Second {
		t.Errorf("exit took %v, want about the 1 s shutdown timeout", took)
	}
}

func countErrs(errs []error) int {
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}
