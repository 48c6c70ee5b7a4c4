package hacktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestPidfileRuns: hack/lib.sh's pidfile_runs trusts a pid file only when
// its pid is a live process of the expected name. On 8339f91 start.sh
// trusted any live pid: a pid file left from a containerd gone since,
// whose pid another program had taken, made `make test` wait for a
// containerd that was never started and fail ("runs but does not answer").
func TestPidfileRuns(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	live := write("live.pid", strconv.Itoa(sleep.Process.Pid))
	for _, tc := range []struct {
		name, proc, file string
		want             bool
	}{
		{"live pid of that name", "sleep", live, true},
		{"live pid of another program", "containerd", live, false},
		{"no such file", "sleep", filepath.Join(dir, "missing.pid"), false},
		{"not a number", "sleep", write("junk.pid", "12; rm -rf /"), false},
		{"empty", "sleep", write("empty.pid", ""), false},
		{"dead pid", "sleep", write("dead.pid", "4194305"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", `. "$1/hack/lib.sh" && pidfile_runs "$2" "$3"`, "bash", root, tc.proc, tc.file)
			err := cmd.Run()
			if got := err == nil; got != tc.want {
				t.Fatalf("pidfile_runs %s %s: %v, want success=%v", tc.proc, tc.file, err, tc.want)
			}
		})
	}
}
