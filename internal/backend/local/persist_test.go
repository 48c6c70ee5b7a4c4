package local

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestRestartRestoresState(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team"}), nil)
	wantErr(t, f.b.CreateSecret(ctx, provider.Secret{Name: "s", Namespace: "team", Value: "v"}), nil)
	d := echoSpec("echo")
	d.Namespace, d.Secrets, d.EnvVars = "team", []string{"s"}, map[string]string{"GREETING": "g"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	wantErr(t, f.b.Scale(ctx, "echo", "team", 3), nil)
	wantErr(t, f.b.Deploy(ctx, echoSpec("idle")), nil)
	wantErr(t, f.b.Scale(ctx, "idle", "", 0), nil)
	before, _ := f.b.Function(ctx, "echo", "team")
	wantErr(t, f.b.Close(ctx), nil)
	pulls := f.reg.pulls

	g := openFixture(t, f.dir, f.eng, f.reg)
	st, err := g.b.Function(ctx, "echo", "team")
	wantErr(t, err, nil)
	if st.Replicas != 3 || st.AvailableReplicas != 3 || !st.CreatedAt.Equal(before.CreatedAt) ||
		st.EnvVars["GREETING"] != "g" || st.Secrets[0] != "s" {
		t.Fatalf("restored %+v", st)
	}
	if st, _ := g.b.Function(ctx, "idle", ""); st.Replicas != 0 || st.AvailableReplicas != 0 {
		t.Fatalf("scaled-to-zero function restored with %d/%d", st.Replicas, st.AvailableReplicas)
	}
	if g.reg.pulls != pulls {
		t.Fatal("restart pulled images again instead of using the kept modules")
	}
	if s, _ := g.b.Secrets(ctx, "team"); len(s) != 1 {
		t.Fatalf("secrets after restart %v", s)
	}
	wantErr(t, g.b.Scale(ctx, "idle", "", 1), nil)
}

func TestRestartKeepsFunctionWhoseImageVanished(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	wantErr(t, f.b.Close(ctx), nil)
	f.reg.set("echo:1", "")
	os.Remove(filepath.Join(f.dir, "wasm", provider.DefaultNamespace, "echo.wasm"))

	g := openFixture(t, f.dir, f.eng, f.reg)
	st, err := g.b.Function(ctx, "echo", "")
	wantErr(t, err, nil)
	if st.Replicas != 1 || st.AvailableReplicas != 0 {
		t.Fatalf("status %+v", st)
	}
	_, err = g.b.Invoker(ctx, "echo", "")
	wantErr(t, err, provider.ErrUnavailable)
	wantErr(t, g.b.Scale(ctx, "echo", "", 1), provider.ErrImage)
	wantErr(t, g.b.Scale(ctx, "echo", "", 0), nil)
	f.reg.set("echo:1", "echo-v1")
	wantErr(t, g.b.Scale(ctx, "echo", "", 1), nil)
	if st, _ := g.b.Function(ctx, "echo", ""); st.AvailableReplicas != 1 {
		t.Fatalf("after the image came back: %+v", st)
	}
}

// TestTornWrites leaves the state directory as a crash in the middle of
// writes would: temporary files with partial content, and a record cut
// short. The backend starts, removes the temporary files, sets the damaged
// record aside and keeps everything else.
func TestTornWrites(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.CreateSecret(ctx, provider.Secret{Name: "s", Value: "whole"}), nil)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	wantErr(t, f.b.Close(ctx), nil)

	fnDir := filepath.Join(f.dir, "functions", provider.DefaultNamespace)
	rec, err := os.ReadFile(filepath.Join(fnDir, "echo.json"))
	wantErr(t, err, nil)
	torn := map[string][]byte{
		filepath.Join(fnDir, tmpPrefix+"echo.json-123"):                             rec[:len(rec)/2],
		filepath.Join(fnDir, "cut.json"):                                            rec[:len(rec)/3],
		filepath.Join(f.dir, "namespaces", tmpPrefix+"team.json-9"):                 []byte(`{"na`),
		filepath.Join(f.dir, "secrets", provider.DefaultNamespace, tmpPrefix+"s-1"): []byte("wh"),
	}
	for p, data := range torn {
		wantErr(t, os.WriteFile(p, data, 0o600), nil)
	}

	g := openFixture(t, f.dir, f.eng, f.reg)
	list, _ := g.b.Functions(ctx, "")
	if len(list) != 1 || list[0].Name != "echo" || list[0].AvailableReplicas != 1 {
		t.Fatalf("functions after torn writes: %+v", list)
	}
	if s, _ := g.b.Secrets(ctx, ""); len(s) != 1 || s[0].Name != "s" {
		t.Fatalf("secrets after torn writes: %+v", s)
	}
	if ns, _ := g.b.Namespaces(ctx); len(ns) != 1 {
		t.Fatalf("namespaces after torn writes: %v", ns)
	}
	for p := range torn {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(fnDir, "cut.json.corrupt")); err != nil {
		t.Errorf("damaged record not set aside: %v", err)
	}
}

// TestAtomicWriteSurvivesKill kills a process that rewrites a file in a
// loop with SIGKILL at random moments: the file must always hold one whole
// version, never a mix or a truncation.
func TestAtomicWriteSurvivesKill(t *testing.T) {
	if path := os.Getenv("LOCAL_TEST_ATOMIC_WRITER"); path != "" {
		for i := 0; ; i++ {
			data, _ := json.Marshal(map[string]any{"n": i, "pad": strings.Repeat(fmt.Sprint(i%10), 1<<20)})
			if err := atomicWrite(path, data, 0o600); err != nil {
				os.Exit(2)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "state.json")
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAtomicWriteSurvivesKill$")
		cmd.Env = append(os.Environ(), "LOCAL_TEST_ATOMIC_WRITER="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rand.IntN(150)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		var v struct {
			N   int
			Pad string
		}
		if err := json.Unmarshal(data, &v); err != nil || len(v.Pad) != 1<<20 || v.Pad[0] != byte('0'+v.N%10) {
			t.Fatalf("round %d: file torn after kill (%d bytes): %v", round, len(data), err)
		}
	}
}
