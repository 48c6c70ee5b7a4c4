package reliability

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestSIGKILLDuringDeploysAndSecrets kills the provider with SIGKILL, three
// times, while clients create secrets and deploy functions that mount them.
// After each restart every acknowledged (202) secret and deploy must be
// there with its value, and no temporary file may be left in the state dir.
func TestSIGKILLDuringDeploysAndSecrets(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushWasm(t, registry, "neighbour", neighbourWasm)
	state := t.TempDir()
	acked := map[string]string{} // function name -> value of its secret
	var ackedSecrets []string
	var inFlight, tmpAtKill int
	p := startProvider(t, state)
	// The first deploy compiles the module; the cycles then measure deploys.
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "base", Image: ref, Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	for cycle := range 3 {
		var deploys atomic.Int64
		var mu sync.Mutex
		var stop atomic.Bool
		var wg sync.WaitGroup
		var seq atomic.Int64
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					i := seq.Add(1)
					name := fmt.Sprintf("c%d-%03d", cycle, i)
					value := fmt.Sprintf("value-%d-%d-%d", cycle, w, i)
					code, _, err := p.call(http.MethodPost, "/system/secrets", provider.Secret{Name: name, Value: value})
					if err != nil || code != http.StatusAccepted {
						mu.Lock()
						inFlight++
						mu.Unlock()
						return
					}
					mu.Lock()
					ackedSecrets = append(ackedSecrets, name)
					mu.Unlock()
					code, _, err = p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{
						Service: name, Image: ref, Secrets: []string{name},
						Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
					})
					if err != nil || code != http.StatusAccepted {
						mu.Lock()
						inFlight++
						mu.Unlock()
						return
					}
					mu.Lock()
					acked[name] = value
					mu.Unlock()
					deploys.Add(1)
				}
			}()
		}
		// Kill mid-stream: after a few acknowledged deploys, at a point
		// that differs per cycle.
		for deadline := time.Now().Add(2 * time.Minute); deploys.Load() < int64(4+3*cycle) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(37*cycle) * time.Millisecond)
		p.Kill()
		stop.Store(true)
		wg.Wait()
		tmpAtKill += len(tempFiles(t, state))

		p = startProvider(t, state)
		var secrets []provider.Secret
		p.decode(t, "/system/secrets", &secrets)
		have := map[string]bool{}
		for _, s := range secrets {
			have[s.Name] = true
			if s.Value != "" {
				t.Errorf("secret list shows the value of %s", s.Name)
			}
		}
		for _, name := range ackedSecrets {
			if !have[name] {
				t.Errorf("cycle %d: acknowledged secret %s lost", cycle, name)
			}
		}
		var list []provider.FunctionStatus
		p.decode(t, "/system/functions", &list)
		deployed := map[string]bool{}
		for _, st := range list {
			deployed[st.Name] = true
		}
		for name, value := range acked {
			if !deployed[name] {
				t.Errorf("cycle %d: acknowledged deploy %s lost", cycle, name)
				continue
			}
			if _, err := hit(p.URL+"/function/"+name+"?secret="+name, value); err != nil {
				t.Errorf("cycle %d: %s does not read its secret: %v", cycle, name, err)
			}
		}
		if left := tempFiles(t, state); len(left) != 0 {
			t.Errorf("cycle %d: temporary files left after restart: %v", cycle, left)
		}
		checkRecords(t, state)
		t.Logf("cycle %d: killed with %d secrets and %d deploys acknowledged so far; all present after restart", cycle, len(ackedSecrets), len(acked))
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("3 SIGKILLs survived: %d acknowledged secrets and %d acknowledged deploys, 0 lost; %d requests cut by the kills; %d temporary files at kill time, 0 after restart",
		len(ackedSecrets), len(acked), inFlight, tmpAtKill)
}

// tempFiles lists the temporary files (.tmp-*) under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			found = append(found, strings.TrimPrefix(path, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// checkRecords asserts every function record under dir parses as JSON.
func checkRecords(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "functions", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Errorf("half-written record %s: %.100q", f, b)
		}
	}
}

// TestSIGKILLUnderLoad kills the provider while 20 clients call a function,
// then restarts it on the same state: it must serve the function again
// without a single error.
func TestSIGKILLUnderLoad(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	state := t.TempDir()
	p := startProvider(t, state)
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "warm", Image: pushWasm(t, registry, "reactor", reactorWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm, provider.AnnotationWasmMode: "warm"},
	})
	stop := steadyLoad(20, p.URL+"/function/warm", "ok")
	time.Sleep(2 * time.Second)
	p.Kill()
	during := stop()
	t.Logf("load cut by SIGKILL: %v (errors are the kill's)", during)
	if during.total-during.errs < 100 {
		t.Fatalf("load before the kill too small: %v", during)
	}

	p = startProvider(t, state)
	after := fixedLoad(2000, 20, p.URL+"/function/warm", "ok")
	t.Logf("after restart: %v", after)
	if after.errs != 0 {
		t.Fatalf("restarted provider: %d errors: %v", after.errs, after.firstErrs)
	}
}
