package shim

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsFlags maps the namespace types a runner may join or get anew.
var nsFlags = []struct {
	t    specs.LinuxNamespaceType
	flag int
}{
	{specs.NetworkNamespace, unix.CLONE_NEWNET},
	{specs.IPCNamespace, unix.CLONE_NEWIPC},
	{specs.UTSNamespace, unix.CLONE_NEWUTS},
	{specs.PIDNamespace, unix.CLONE_NEWPID},
	{specs.MountNamespace, unix.CLONE_NEWNS},
}

// spawnRequest describes one runner process.
type spawnRequest struct {
	path           string   // runner binary
	args           []string // after argv[0]
	dir            string   // working directory
	stdout, stderr string   // FIFOs ("" = /dev/null)
	spec           *specs.Spec
}

// spawned is a started runner that waits on its gate before doing anything.
type spawned struct {
	cmd  *exec.Cmd
	gate *os.File // write end: closing it lets the runner go on
}

// openOutput opens a stdio FIFO for the runner. It is opened read-write so
// the pipe always has a reader: when containerd's reader goes away (a
// detached ctr, a restarting containerd) writes never fail with EPIPE.
func openOutput(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	return os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
}

// spawn starts the runner inside the namespaces of req.spec: a namespace
// given by path is joined with setns on a locked OS thread that then forks,
// so the whole child lives in it (Go's other threads never change); a
// namespace requested without a path is created by clone flags. The runner
// is passed the read end of a gate pipe as fd 3 (-gate-fd 3).
func spawn(req spawnRequest) (*spawned, error) {
	stdout, err := openOutput(req.stdout)
	if err != nil {
		return nil, fmt.Errorf("open stdout: %w", err)
	}
	defer stdout.Close()
	stderr, err := openOutput(req.stderr)
	if err != nil {
		return nil, fmt.Errorf("open stderr: %w", err)
	}
	defer stderr.Close()
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("gate pipe: %w", err)
	}
	defer gateR.Close()

	cmd := exec.Command(req.path, append(req.args, "-gate-fd", strconv.Itoa(3))...)
	cmd.Dir = req.dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{gateR}
	// A clean environment: Go picks GOMAXPROCS from the cgroup CPU limit.
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var join []struct {
		path string
		flag int
	}
	if req.spec.Linux != nil {
		for _, nf := range nsFlags {
			for _, ns := range req.spec.Linux.Namespaces {
				if ns.Type != nf.t {
					continue
				}
				if ns.Path == "" {
					cmd.SysProcAttr.Cloneflags |= uintptr(nf.flag)
				} else {
					join = append(join, struct {
						path string
						flag int
					}{ns.Path, nf.flag})
				}
			}
		}
	}
	done := make(chan error, 1)
	go func() {
		// The thread is never unlocked: after setns it must not run other
		// goroutines, so it exits with this goroutine.
		runtime.LockOSThread()
		for _, j := range join {
			fd, err := unix.Open(j.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				done <- fmt.Errorf("open namespace %s: %w", j.path, err)
				return
			}
			err = unix.Setns(fd, j.flag)
			unix.Close(fd)
			if err != nil {
				done <- fmt.Errorf("join namespace %s: %w", j.path, err)
				return
			}
		}
		done <- cmd.Start()
	}()
	if err := <-done; err != nil {
		gateW.Close()
		return nil, fmt.Errorf("start runner: %w", err)
	}
	return &spawned{cmd: cmd, gate: gateW}, nil
}

// exitStatus is the container exit status of a waited process: its exit
// code, or 128+signal when a signal killed it.
func exitStatus(ps *os.ProcessState) uint32 {
	if ps == nil {
		return 255
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + uint32(ws.Signal())
	}
	return uint32(ps.ExitCode())
}

// setOOMScore writes the spec's oom_score_adj for pid, if it has one.
func setOOMScore(pid int, s *specs.Spec) error {
	if s.Process == nil || s.Process.OOMScoreAdj == nil {
		return nil
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(*s.Process.OOMScoreAdj)), 0)
}
