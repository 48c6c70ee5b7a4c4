package containerdtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
)

// DeleteContainer kills c's task, if it has one, deletes it and then the
// container with its snapshot. ctx carries the container's namespace.
//
// # Errors
//
// The error of deleting the container, unless it was already gone.
func DeleteContainer(ctx context.Context, c containerd.Container) error {
	if task, err := c.Task(ctx, nil); err == nil {
		_, _ = task.Delete(ctx, containerd.WithProcessKill)
	}
	if err := c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete container %s: %w", c.ID(), err)
	}
	return nil
}

// PurgeNamespace deletes every container (and task) of ctx's namespace;
// the containers it cannot delete are reported on stderr and left.
func PurgeNamespace(ctx context.Context, c *containerd.Client) {
	list, err := c.Containers(ctx)
	if err != nil {
		return
	}
	for _, ctr := range list {
		if err := DeleteContainer(ctx, ctr); err != nil {
			fmt.Fprintln(os.Stderr, "containerdtest: purge:", err)
		}
	}
}

// purge deletes the containers of every namespace of the running daemon
// and returns the namespaces.
func (d *Daemon) purge() []string {
	c, err := containerd.New(d.socket, containerd.WithTimeout(2*time.Second))
	if err != nil {
		return nil
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nss, err := c.NamespaceService().List(ctx)
	if err != nil {
		return nil
	}
	for _, ns := range nss {
		PurgeNamespace(namespaces.WithNamespace(ctx, ns), c)
	}
	return nss
}

// removeNamespaceLeftovers removes runc's state dir and the cgroup parents
// named after a namespace; they are on the host, shared with its
// containerd, so only when empty.
func removeNamespaceLeftovers(ns string) {
	_ = os.Remove(filepath.Join("/run/containerd/runc", ns))
	parents, _ := filepath.Glob("/sys/fs/cgroup/*/" + ns)
	for _, p := range parents {
		_ = os.Remove(p)
	}
}

// killShims SIGKILLs the shims that serve the daemon at socket and their
// children (the containers' processes), and removes the runc state and
// CNI results they leave on the host.
func killShims(socket string) {
	procs := processes()
	for pid, args := range procs {
		if !strings.Contains(args[0], "containerd-shim") || !slices.Contains(args, socket) {
			continue
		}
		for child, parent := range parents(procs) {
			if parent == pid {
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		id, ns := flag(args, "-id"), flag(args, "-namespace")
		if id == "" || ns == "" {
			continue
		}
		_ = os.RemoveAll(filepath.Join("/run/containerd/runc", ns, id))
		results, _ := filepath.Glob("/var/lib/cni/results/*-" + id + "-*")
		for _, f := range results {
			_ = os.Remove(f)
		}
	}
}

// flag returns the value after name in args, or "".
func flag(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// processes maps the PIDs of the host to their arguments.
func processes() map[int][]string {
	out := map[int][]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		out[pid] = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	}
	return out
}

// parents maps PIDs to their parent PIDs.
func parents(procs map[int][]string) map[int]int {
	out := map[int]int{}
	for pid := range procs {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				out[pid] = ppid
			}
		}
	}
	return out
}

// unmountUnder lazily detaches every mount point below dir, deepest first.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// reapStale removes what earlier runs left behind when their test binary
// died before cleaning up (a panic, os.Exit in a dependency): for each temp
// dir named prefix* whose containerd no longer runs, the shims of its
// socket are killed, its mounts detached and the dir deleted. A dir whose
// config is younger than a minute may belong to a run that is starting.
func reapStale(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	procs := processes()
	for _, dir := range dirs {
		cfg := filepath.Join(dir, "config.toml")
		fi, err := os.Stat(cfg)
		if err != nil || time.Since(fi.ModTime()) < time.Minute || daemonAlive(procs, cfg) {
			continue
		}
		killShims(filepath.Join(dir, "containerd.sock"))
		unmountUnder(dir)
		_ = os.RemoveAll(dir)
	}
}

// daemonAlive reports whether a containerd runs with the config file cfg.
func daemonAlive(procs map[int][]string, cfg string) bool {
	for _, args := range procs {
		if i := slices.Index(args, "--config"); i >= 0 && i+1 < len(args) && args[i+1] == cfg {
			return true
		}
	}
	return false
}

// ShimPID returns the PID of the shim serving the task of container id in
// namespace ns, on any containerd of this host.
//
// # Errors
//
// When no such shim runs.
func ShimPID(ns, id string) (int, error) {
	for pid, args := range processes() {
		if strings.Contains(args[0], "containerd-shim") && flag(args, "-id") == id && flag(args, "-namespace") == ns {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no shim serves container %s in namespace %s", id, ns)
}
