package containers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// reapStaleRuns removes what earlier runs of these tests left behind when
// their binary died before TestMain could clean up (a panic, os.Exit in a
// dependency): for each temp dir of ours whose containerd no longer runs,
// the task processes and shims that served that daemon are killed by PID,
// its mounts are detached and the dir is deleted; bridges named after a
// test process that no longer exists are deleted, and so are runc's state
// dirs of such namespaces.
func reapStaleRuns() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "fwct*"))
	procs := processes()
	for _, dir := range dirs {
		cfg := filepath.Join(dir, "config.toml")
		fi, err := os.Stat(cfg)
		// A run that just wrote its config may not have started its daemon yet.
		if err != nil || time.Since(fi.ModTime()) < time.Minute || daemonAlive(procs, cfg) {
			continue
		}
		socket := filepath.Join(dir, "containerd.sock")
		for pid, args := range procs {
			if !strings.Contains(args, "containerd-shim") || !strings.Contains(args, "-address "+socket) {
				continue
			}
			for child, ppid := range parents(procs) {
				if ppid == pid {
					_ = syscall.Kill(child, syscall.SIGKILL)
				}
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		unmountUnder(dir)
		os.RemoveAll(dir)
	}
	// Bridges and runc state dirs carry the test process's PID: fwt<pid>-<n>.
	dead := func(name string) bool {
		pidPart, _, ok := strings.Cut(strings.TrimPrefix(name, "fwt"), "-")
		pid, err := strconv.Atoi(pidPart)
		if !ok || err != nil || pid == os.Getpid() {
			return false
		}
		_, alive := procs[pid]
		return !alive
	}
	links, _ := filepath.Glob("/sys/class/net/fwt*")
	for _, l := range links {
		if name := filepath.Base(l); dead(name) {
			_ = exec.Command("ip", "link", "del", name).Run()
		}
	}
	states, _ := filepath.Glob("/run/containerd/runc/fwt*")
	for _, d := range states {
		if dead(filepath.Base(d)) {
			os.RemoveAll(d)
		}
	}
}

// processes maps PIDs to their command lines (arguments joined by spaces).
func processes() map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		out[pid] = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	}
	return out
}

// parents maps PIDs to their parent PIDs.
func parents(procs map[int]string) map[int]int {
	out := map[int]int{}
	for pid := range procs {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				out[pid] = ppid
			}
		}
	}
	return out
}

func daemonAlive(procs map[int]string, cfg string) bool {
	for _, args := range procs {
		if strings.Contains(args, "--config "+cfg) {
			return true
		}
	}
	return false
}
