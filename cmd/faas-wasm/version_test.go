package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestStampedVersion(t *testing.T) {
	const rev = "932278ed341c0dc612e05ad11e6055f9f591df8b"
	info := func(version string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/faas-wasm/faas-wasm", Version: version}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	noInfo := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name                    string
		version, commit         string
		read                    func() (*debug.BuildInfo, bool)
		wantVersion, wantCommit string
	}{
		{"ldflags win", "v1.2.3", "abc", info("v0.0.0-x", "vcs.revision", rev), "v1.2.3", "abc"},
		{"plain go build in a checkout", unsetVersion, unsetCommit,
			info("v0.0.0-20261206002429-932278ed341c+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261206002429-932278ed341c+dirty", rev},
		{"tagged checkout", unsetVersion, unsetCommit, info("v0.4.0", "vcs.revision", rev), "v0.4.0", rev},
		{"devel with revision", unsetVersion, unsetCommit, info("(devel)", "vcs.revision", rev, "vcs.modified", "false"),
			"dev-932278ed341c", rev},
		{"devel with a dirty tree", unsetVersion, unsetCommit, info("(devel)", "vcs.revision", rev, "vcs.modified", "true"),
			"dev-932278ed341c-dirty", rev},
		{"only the commit linked", unsetVersion, "abc", info("v0.4.0", "vcs.revision", rev), "v0.4.0", "abc"},
		{"only the version linked", "v1.0.0", unsetCommit, info("(devel)", "vcs.revision", rev), "v1.0.0", rev},
		{"no vcs stamp (-buildvcs=false, go run)", unsetVersion, unsetCommit, info("(devel)"), unsetVersion, unsetCommit},
		{"no build info", unsetVersion, unsetCommit, noInfo, unsetVersion, unsetCommit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, c := stampedVersion(tc.version, tc.commit, tc.read)
			if v != tc.wantVersion || c != tc.wantCommit {
				t.Fatalf("stampedVersion = %q, %q; want %q, %q", v, c, tc.wantVersion, tc.wantCommit)
			}
		})
	}
}

// TestPlainBuildReportsRevision builds the provider with a plain go build (no
// -X flags; -buildvcs=true because a GOFLAGS of -buildvcs=false would turn
// the stamp off, the default being auto) and checks that `faas-wasm version`
// and the serving log line (the version /system/info reports) carry the
// checkout's revision. In a linked git worktree, whose .git is a file, the
// go command stamps nothing (golang/go#58218): there the plain build must
// report the unset "dev (unknown)", never another revision, and the build
// with the Makefile's -X flags (which `make build` uses) must carry the
// revision. The Makefile build is checked in a clone too.
func TestPlainBuildReportsRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider")
	}
	out, err := exec.Command("git", "rev-parse", "--path-format=absolute", "HEAD", "--git-dir", "--git-common-dir").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	git := strings.Fields(string(out))
	rev, worktree := git[0], git[1] != git[2]

	plain := buildProvider(t)
	line := versionLine(t, plain)
	switch {
	case worktree:
		if want := "faas-wasm " + unsetVersion + " (" + unsetCommit + ")"; line != want {
			t.Fatalf("plain build in a linked worktree: version = %q, want %q (the go command does not stamp worktrees)", line, want)
		}
	case !strings.HasPrefix(line, "faas-wasm v0.0.0-") || !strings.HasSuffix(line, "("+rev+")") || !strings.Contains(line, rev[:12]):
		t.Fatalf("version = %q, want the pseudo-version and revision %s", line, rev)
	default:
		checkServingVersion(t, plain, strings.Fields(line)[1])
	}

	ldflags, err := exec.Command("make", "-s", "--no-print-directory", "-C", "../..",
		"--eval", "print-ldflags: ; @echo $(LDFLAGS)", "print-ldflags").Output()
	if err != nil {
		t.Fatalf("the Makefile's LDFLAGS: %v", err)
	}
	stamped := buildProvider(t, "-ldflags", strings.TrimSpace(string(ldflags)))
	line = versionLine(t, stamped)
	if !strings.HasSuffix(line, "("+rev+")") || strings.Fields(line)[1] == unsetVersion {
		t.Fatalf("built with the Makefile's -X flags (%s): version = %q, want a release and revision %s", ldflags, line, rev)
	}
	checkServingVersion(t, stamped, strings.Fields(line)[1])
}

// buildProvider builds this package with go build -buildvcs=true and extra
// flags into a temporary file and returns its path.
func buildProvider(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "faas-wasm")
	args := append([]string{"build", "-buildvcs=true", "-o", bin}, flags...)
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build %q: %v\n%s", flags, err, out)
	}
	return bin
}

// versionLine returns what `bin version` prints, trimmed.
func versionLine(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// checkServingVersion starts the provider bin and checks that its serving
// log line carries version=release.
func checkServingVersion(t *testing.T, bin, release string) {
	t.Helper()
	state := t.TempDir()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--state-dir", state,
		"--containerd-socket", filepath.Join(state, "no-containerd.sock"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "faas-wasm serving") {
			if !strings.Contains(l, "version="+release) {
				t.Fatalf("serving line %q lacks version=%s", l, release)
			}
			return
		}
	}
	t.Fatal("provider exited before serving")
}
