package reliability

import (
	"net/http"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// requireHostContainerd skips (fails under CI=true) unless the test runs as
// root and the host's containerd socket exists.
func requireHostContainerd(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "container functions need root")
	}
	if _, err := os.Stat(hostContainerd); err != nil {
		testenv.Missingf(t, "no containerd at %s (make test starts it)", hostContainerd)
	}
}

// deployBox deploys a container function running image ref on p and waits
// until it answers.
func deployBox(t *testing.T, p *proc, name, ref string) {
	t.Helper()
	code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: name, Image: ref,
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer},
	})
	if err != nil {
		t.Fatal(err)
	}
	if code == http.StatusNotImplemented {
		testenv.Missingf(t, "containerd does not answer: %s", body)
	}
	if code != http.StatusAccepted {
		t.Fatalf("deploy %s = %d %q", name, code, body)
	}
	t.Cleanup(func() {
		p.call(http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: name})
	})
	waitReady(t, p.URL+"/function/"+name)
}

// Two provider processes with their own state directories and ports on the
// host's containerd (one containerd namespace, one bridge) work side by
// side: the second one starting, restarting and deleting its function
// leaves the first one's container process alone. On 5770c34 the second
// provider removed the first one's containers as orphans when it started.
func TestTwoProvidersOneContainerd(t *testing.T) {
	requireHostContainerd(t)
	markerA, markerB := "owner-a-"+randHex(t), "owner-b-"+randHex(t)
	refA := pushBox(t, ocitest.NewRegistry(t), markerA)
	refB := pushBox(t, ocitest.NewRegistry(t), markerB)
	nameA, nameB := "rel-a-"+markerA[len(markerA)-8:], "rel-b-"+markerB[len(markerB)-8:]
	args := []string{"--containerd-socket", hostContainerd, "--function-timeout", "10s"}

	a := startProvider(t, t.TempDir(), args...)
	deployBox(t, a, nameA, refA)
	pidA := waitPIDs(t, markerA, 1)[0]

	stateB := t.TempDir()
	b := startProvider(t, stateB, args...)
	deployBox(t, b, nameB, refB)
	pidB := waitPIDs(t, markerB, 1)[0]
	var listB []provider.FunctionStatus
	b.decode(t, "/system/functions", &listB)
	if slices.ContainsFunc(listB, func(f provider.FunctionStatus) bool { return f.Name == nameA }) {
		t.Errorf("provider B lists provider A's function %s", nameA)
	}
	b.Kill()
	b = startProvider(t, stateB, args...)
	waitReady(t, b.URL+"/function/"+nameB)
	if pids := waitPIDs(t, markerB, 1); !slices.Equal(pids, []int{pidB}) {
		t.Errorf("provider B's replica after its restart: pids %v, want %d adopted", pids, pidB)
	}
	b.expect(t, http.StatusAccepted, http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: nameB})

	if err := syscall.Kill(pidA, 0); err != nil {
		t.Fatalf("provider A's replica (pid %d) is gone after provider B started, restarted and deleted its function: %v", pidA, err)
	}
	var st provider.FunctionStatus
	a.decode(t, "/system/function/"+nameA, &st)
	if _, err := hit(a.URL+"/function/"+nameA, "ok"); err != nil || st.AvailableReplicas != 1 {
		t.Fatalf("provider A's function after provider B: call %v, availableReplicas %d", err, st.AvailableReplicas)
	}
	t.Logf("provider A (replica pid %d) kept its container while provider B started, deployed %s (pid %d), restarted (adopted pid %d again) and deleted it; A's status availableReplicas=%d",
		pidA, nameB, pidB, pidB, st.AvailableReplicas)
	for _, line := range grepLines(b.Output.String(), "left alone") {
		t.Logf("provider B: %s", line)
	}
}
