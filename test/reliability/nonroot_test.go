package reliability

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// nobody is the uid and gid of user nobody on Debian.
const nobody = 65534

// TestServesWasmAsNobody starts a Wasm-only provider as user nobody (when
// the test runs as root; otherwise as the unprivileged test user) with a
// state dir it owns, and checks that it deploys, serves and keeps secrets.
// Container functions are what needs root (containerd and CNI): the
// unprivileged provider refuses them with 501.
func TestServesWasmAsNobody(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushWasm(t, registry, "neighbour", neighbourWasm)
	root, err := os.MkdirTemp("", "faas-wasm-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	state := filepath.Join(root, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	asRoot := os.Geteuid() == 0
	if asRoot {
		if err := os.Chmod(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(state, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	p := startProviderCmd(t, state, func(cmd *exec.Cmd) {
		if asRoot {
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody}
			cmd.Env = append(os.Environ(), "HOME="+state)
		}
	}, "--cache-dir", filepath.Join(state, "cache"), "--containerd-socket", "/run/containerd/containerd.sock")

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	uid := ""
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid = strings.Fields(v)[1] // effective uid
		}
	}
	if uid == "0" {
		t.Fatalf("provider runs with effective uid 0")
	}
	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/secrets", provider.Secret{Name: "s", Value: "v"})
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "fn", Image: ref, Secrets: []string{"s"}, Annotations: wasm})
	if res := fixedLoad(200, 10, p.URL+"/function/fn", "ok"); res.errs != 0 {
		t.Fatalf("as uid %s: %v %v", uid, res, res.firstErrs)
	}
	if got := p.expect(t, http.StatusOK, http.MethodGet, "/function/fn?secret=s", nil); got != "v" {
		t.Fatalf("secret read %q", got)
	}
	code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "box", Image: ref, Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer},
	})
	if err != nil {
		t.Fatal(err)
	}
	if asRoot && code != http.StatusNotImplemented {
		t.Errorf("container deploy as nobody = %d %q, want 501", code, body)
	}
	t.Logf("provider as uid %s: Wasm deploy, secret and 200 calls served; container deploy -> %d %.120q", uid, code, body)
}
