package reliability

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// providerNamespace is the containerd namespace of the provider's
// container functions.
const providerNamespace = "openfaas-fn"

// A container function whose replica vanishes behind the provider's back —
// its task and container deleted with ctr, or its shim SIGKILLed — gets a
// new one from its spec within seconds: status reports availableReplicas
// 0 until then, and a call made right after the fault waits for the new
// replica and succeeds within the function timeout. On 5770c34 the deleted
// container was never created again: the restart failed with "container
// not found" every backoff period and every call waited 30 s for a 503.
func TestVanishedReplicaIsRecreated(t *testing.T) {
	requireHostContainerd(t)
	marker := "vanish-" + randHex(t)
	ref := pushBox(t, ocitest.NewRegistry(t), marker)
	const timeout = 10 * time.Second
	p := startProvider(t, t.TempDir(), "--containerd-socket", hostContainerd, "--function-timeout", timeout.String())
	name := "rel-v-" + marker[len(marker)-8:]
	deployBox(t, p, name, ref)
	url := p.URL + "/function/" + name
	for _, fault := range []struct {
		what string
		do   func(id string)
	}{
		{"task killed and deleted, container deleted (ctr)", func(id string) {
			ctr(t, "task", "kill", "--signal", "SIGKILL", id)
			ctr(t, "task", "delete", "--force", id)
			ctr(t, "container", "delete", id)
		}},
		{"shim SIGKILLed", func(id string) {
			shim, err := containerdtest.ShimPID(providerNamespace, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		id := strings.TrimSpace(ctr(t, "container", "list", "--quiet", `labels."io.faas-wasm.function"==`+name))
		if id == "" || strings.Contains(id, "\n") {
			t.Fatalf("containers of %s: %q, want one", name, id)
		}
		fault.do(id)
		start := time.Now()
		// Status is watched apart from the call, until it reports 0 or the
		// function timeout passes: after a shim SIGKILL the container's
		// process can answer a call or two before containerd reports the
		// task lost.
		available := make(chan uint64, 1)
		go func() {
			least := uint64(1)
			for least != 0 && time.Since(start) < timeout {
				var st provider.FunctionStatus
				code, body, err := p.call(http.MethodGet, "/system/function/"+name, nil)
				if err == nil && code == http.StatusOK && json.Unmarshal([]byte(body), &st) == nil {
					least = min(least, st.AvailableReplicas)
				}
				time.Sleep(20 * time.Millisecond)
			}
			available <- least
		}()
		took, err := hit(url, "ok")
		least := <-available
		t.Logf("%s: call right after it answered after %v (err %v); availableReplicas went down to %d",
			fault.what, took.Round(time.Millisecond), err, least)
		if err != nil || took > timeout {
			t.Errorf("%s: call %v after %v, want 200 within the function timeout %v", fault.what, err, took, timeout)
		}
		if least != 0 {
			t.Errorf("%s: status never reported availableReplicas 0 within %v", fault.what, timeout)
		}
		waitReady(t, url)
		t.Logf("%s: function serves again %v after the fault", fault.what, time.Since(start).Round(time.Millisecond))
	}
	for _, line := range grepLines(p.Output.String(), "created again", "replica exited") {
		t.Logf("provider: %s", line)
	}
}

// ctr runs ctr on the host's containerd in the provider's namespace and
// returns its output.
func ctr(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ctr", append([]string{"--address", hostContainerd, "--namespace", providerNamespace}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// grepLines returns the lines of s that contain one of substrs.
func grepLines(s string, substrs ...string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, sub := range substrs {
			if strings.Contains(line, sub) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}
