package shim

import (
	"fmt"
	"io"
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

// spawnRequest describes one container process: the runner of a Wasm
// container, or a pod sandbox's pause binary.
type spawnRequest struct {
	path           string   // binary (inside chroot when set)
	args           []string // after argv[0]
	env            []string
	dir            string // working directory (inside chroot when set)
	chroot         string // root filesystem to run in ("" = the host's)
	cred           *syscall.Credential
	gate           bool     // hold the process until spawned.gate is closed (runner only)
	stdout, stderr *os.File // the container's output FIFOs (see openOutputs; nil = /dev/null)
	spec           *specs.Spec
}

// spawned is a started process; gate (runner only, else nil) is the write
// end of its gate pipe: closing it lets the runner go on. ready (runner
// only) is the read end of its ready pipe: the runner writes to it once it
// listens, and it reads EOF when the runner exits first.
type spawned struct {
	cmd   *exec.Cmd
	gate  *os.File
	ready *os.File
}

// outputs are a container's stdout and stderr FIFOs, opened by the shim
// once for everything the container's start writes: the compile's log
// (see precompile) and the runner, which gets them as its stdout and
// stderr. They stay open from before the first write until the runner
// holds its own copies: a FIFO whose last writer closes gives containerd's
// reader end of file, and its copy into the container log stops for good
// (closing the compile's copy before opening the runner's lost every line
// the runner wrote).
type outputs struct{ stdout, stderr *os.File }

// openOutputs opens the FIFOs at the paths containerd gave ("" = none,
// nil). Each is opened read-write so the pipe always has a reader: when
// containerd's reader goes away (a detached ctr, a restarting containerd)
// writes never fail with EPIPE.
func openOutputs(stdout, stderr string) (outputs, error) {
	var o outputs
	var err error
	if o.stdout, err = openOutput(stdout); err != nil {
		return o, fmt.Errorf("open stdout: %w", err)
	}
	if o.stderr, err = openOutput(stderr); err != nil {
		o.close()
		return o, fmt.Errorf("open stderr: %w", err)
	}
	return o, nil
}

func openOutput(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	return os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
}

// close closes the shim's copies; a started runner keeps its own.
func (o outputs) close() {
	for _, f := range []*os.File{o.stdout, o.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// log is where the shim writes to the container's log: its stderr, or
// nowhere without one.
func (o outputs) log() io.Writer {
	if o.stderr == nil {
		return io.Discard
	}
	return o.stderr
}

// spawn starts a process inside the namespaces of req.spec: a namespace
// given by path is joined with setns on a locked OS thread that then forks,
// so the whole child lives in it (Go's other threads never change); a
// namespace requested without a path is created by clone flags. With
// req.gate the process gets the read end of a gate pipe as fd 3 and
// "-gate-fd 3" in its arguments, and the write end of a ready pipe as fd 4
// and "-ready-fd 4".
func spawn(req spawnRequest) (*spawned, error) {
	args := req.args
	var gateR, gateW, readyR, readyW *os.File
	if req.gate {
		var err error
		if gateR, gateW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("gate pipe: %w", err)
		}
		defer gateR.Close()
		if readyR, readyW, err = os.Pipe(); err != nil {
			gateW.Close()
			return nil, fmt.Errorf("ready pipe: %w", err)
		}
		defer readyW.Close()
		args = append(append([]string(nil), args...), "-gate-fd", "3", "-ready-fd", "4")
	}
	cmd := &exec.Cmd{Path: req.path, Args: append([]string{req.path}, args...), Dir: req.dir, Env: req.env}
	if req.stdout != nil {
		cmd.Stdout = req.stdout
	}
	if req.stderr != nil {
		cmd.Stderr = req.stderr
	}
	if gateR != nil {
		cmd.ExtraFiles = []*os.File{gateR, readyW}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Chroot: req.chroot, Credential: req.cred}
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
		if gateW != nil {
			gateW.Close()
			readyR.Close()
		}
		return nil, fmt.Errorf("start %s: %w", req.path, err)
	}
	return &spawned{cmd: cmd, gate: gateW, ready: readyR}, nil
}

// waitProcess waits until the process of cmd (started, not yet waited
// for) exits, then reaps it with cmd.Wait. Until then it watches the
// process's pidfd, which turns readable at its exit, through the runtime's
// poller: no OS thread blocks meanwhile. cmd.Wait alone blocks one thread
// in wait4 per process, two per pod, each with its own stacks (~85 KiB of
// the shim's memory per pod, measured with a daemon serving 20 pods).
// Without pidfds it falls back to cmd.Wait alone.
func waitProcess(cmd *exec.Cmd) {
	if fd, err := unix.PidfdOpen(cmd.Process.Pid, unix.PIDFD_NONBLOCK); err == nil {
		f := os.NewFile(uintptr(fd), "pidfd")
		if rc, err := f.SyscallConn(); err == nil {
			rc.Read(func(fd uintptr) bool {
				var info unix.Siginfo
				var err error = unix.EINTR
				for err == unix.EINTR {
					err = unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
				}
				return err != nil || info.Signo != 0
			})
		}
		f.Close()
	}
	cmd.Wait()
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

// setHostname sets name in the (new) UTS namespace of pid, from a locked
// OS thread that joins it and is then discarded.
func setHostname(pid int, name string) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/uts", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWUTS); err != nil {
			done <- err
			return
		}
		done <- unix.Sethostname([]byte(name))
	}()
	return <-done
}

// credential is the spec's user for the sandbox process (nil = root).
func credential(s *specs.Spec) *syscall.Credential {
	if s.Process == nil || (s.Process.User.UID == 0 && s.Process.User.GID == 0 && len(s.Process.User.AdditionalGids) == 0) {
		return nil
	}
	return &syscall.Credential{Uid: s.Process.User.UID, Gid: s.Process.User.GID, Groups: s.Process.User.AdditionalGids}
}
