package providertest

import (
	"net/http"
	"testing"
)

func TestHasFlag(t *testing.T) {
	args := []string{"--cache-dir", "/c", "--containerd-socket=/s"}
	for name, want := range map[string]bool{"--cache-dir": true, "--containerd-socket": true, "--cache": false, "--state-dir": false} {
		if got := hasFlag(args, name); got != want {
			t.Errorf("hasFlag(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestTail(t *testing.T) {
	if got := Tail("abcdef", 3); got != "…def" {
		t.Errorf("Tail = %q", got)
	}
	if got := Tail("abc", 3); got != "abc" {
		t.Errorf("Tail = %q", got)
	}
}

// TestStartServesWithCredentialsAndStops builds the real binary, starts it
// Wasm-only (no containerd needed), and checks that the API refuses a call
// without the generated credentials and accepts one with them, and that
// Stop ends the process cleanly.
func TestStartServesWithCredentialsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the provider")
	}
	bin, err := Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := Start(t, Options{Bin: bin, Graceful: true})
	for _, tc := range []struct {
		auth bool
		want int
	}{{false, http.StatusUnauthorized}, {true, http.StatusOK}} {
		req, err := http.NewRequest(http.MethodGet, p.URL+"/system/functions", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth {
			req.SetBasicAuth(p.User, p.Password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /system/functions (auth %v) = %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
	p.Stop()
	select {
	case <-p.Done:
	default:
		t.Fatal("process still running after Stop")
	}
	if p.Err != nil {
		t.Errorf("exit after SIGTERM: %v", p.Err)
	}
}
