package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Usage is the CPU and memory seen while a phase ran, from two meters: the
// provider process and the function's replica processes (local mode), or
// the provider API's FunctionStatus.usage (gateway mode, in Replica).
type Usage struct {
	// Provider is the provider process (which runs Wasm functions
	// in-process in local mode), when measured.
	Provider *Reading `json:"provider,omitempty"`
	// Replica is the function's own processes (containers in local mode)
	// or FunctionStatus.usage.
	Replica *Reading `json:"replica,omitempty"`
}

// Reading is what one meter saw during a phase.
type Reading struct {
	// Source names the meter (e.g. "/proc of the provider").
	Source string `json:"source"`
	// Cores is the mean CPU use in cores over the phase.
	Cores float64 `json:"cores"`
	// MaxRSSBytes is the highest resident memory sampled.
	MaxRSSBytes float64 `json:"maxRssBytes"`
}

// Meter reads cumulative CPU time and resident memory of something.
type Meter interface {
	// Source names what is measured, for the report.
	Source() string
	// Read returns cumulative CPU seconds (negative when the source only
	// reports a rate, then given as cores) and resident bytes.
	//
	// # Errors
	//
	// Errors reading the source.
	Read(ctx context.Context) (cpuSeconds, cores, rssBytes float64, err error)
}

// sampler watches one meter from begin until end.
type sampler struct {
	m       Meter
	start   time.Time
	cpu0    float64
	err0    error
	mu      sync.Mutex
	maxRSS  float64
	coreSum float64
	coreN   int
	stop    chan struct{}
	done    sync.WaitGroup
}

// begin starts sampling m every 250 ms; nil when m is nil.
func begin(ctx context.Context, m Meter) *sampler {
	if m == nil {
		return nil
	}
	s := &sampler{m: m, start: time.Now(), stop: make(chan struct{})}
	var rss float64
	s.cpu0, _, rss, s.err0 = m.Read(ctx)
	s.maxRSS = rss
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			_, cores, rss, err := m.Read(ctx)
			if err != nil {
				continue
			}
			s.mu.Lock()
			s.maxRSS = max(s.maxRSS, rss)
			s.coreSum += cores
			s.coreN++
			s.mu.Unlock()
		}
	}()
	return s
}

// end stops sampling and returns what was seen; nil when s is nil or the
// meter could never be read.
func (s *sampler) end(ctx context.Context) *Reading {
	if s == nil {
		return nil
	}
	close(s.stop)
	s.done.Wait()
	cpu1, _, rss1, err1 := s.m.Read(ctx)
	if s.err0 != nil && err1 != nil && s.coreN == 0 {
		return nil
	}
	r := &Reading{Source: s.m.Source(), MaxRSSBytes: max(s.maxRSS, rss1)}
	switch elapsed := time.Since(s.start).Seconds(); {
	case s.cpu0 >= 0 && s.err0 == nil && err1 == nil && elapsed > 0:
		// A process that ends during the phase takes its CPU time with it;
		// never report less than nothing.
		r.Cores = max(0, (cpu1-s.cpu0)/elapsed)
	case s.coreN > 0:
		r.Cores = s.coreSum / float64(s.coreN)
	}
	return r
}

// measure runs phase while sampling the provider and replica meters (either
// may be nil) and returns the usage seen, nil when nothing was measured.
func measure(ctx context.Context, providerM, replicaM Meter, phase func()) *Usage {
	p, r := begin(ctx, providerM), begin(ctx, replicaM)
	phase()
	u := &Usage{Provider: p.end(ctx), Replica: r.end(ctx)}
	if u.Provider == nil && u.Replica == nil {
		return nil
	}
	return u
}

// ProcMeter sums CPU time and RSS of the processes pids returns, from /proc.
type ProcMeter struct {
	// Name is the Source string.
	Name string
	// PIDs lists the processes to measure at each read.
	PIDs func() []int
}

// Source names the meter.
func (p ProcMeter) Source() string { return p.Name }

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// Read sums utime+stime and VmRSS of the processes; processes that vanish
// meanwhile are skipped.
//
// # Errors
//
// An error when no process could be read.
func (p ProcMeter) Read(context.Context) (cpuSeconds, cores, rssBytes float64, err error) {
	n := 0
	for _, pid := range p.PIDs() {
		st, err := readProcStat(pid)
		if err != nil {
			continue
		}
		cpuSeconds += float64(st.utime+st.stime) / clockTicks
		rssBytes += float64(st.rssKiB * 1024)
		n++
	}
	if n == 0 {
		return 0, 0, 0, fmt.Errorf("%s: no process to read", p.Name)
	}
	return cpuSeconds, 0, rssBytes, nil
}

type procStat struct {
	ppid         int
	utime, stime int64
	start        int64 // clock ticks after boot
	rssKiB       int64
	comm         string
}

// readProcStat reads /proc/PID/stat and the VmRSS line of /proc/PID/status.
func readProcStat(pid int) (procStat, error) {
	var st procStat
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return st, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	st.comm = string(data[open+1 : end])
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 20 {
		return st, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	// Fields after "(comm)": state ppid ... utime is field 14 overall, i.e.
	// f[11]; starttime is field 22, f[19].
	st.ppid, _ = strconv.Atoi(f[1])
	st.utime, _ = strconv.ParseInt(f[11], 10, 64)
	st.stime, _ = strconv.ParseInt(f[12], 10, 64)
	st.start, _ = strconv.ParseInt(f[19], 10, 64)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			st.rssKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return st, nil
}

// ShimChildren returns the processes below the containerd shims started for
// the containerd socket address (the shims themselves excluded).
func ShimChildren(address string) []int {
	var out []int
	for _, pod := range ShimPods(address) {
		out = append(out, pod[1:]...)
	}
	return out
}

// ShimPods returns, for each containerd shim started for the containerd
// socket address, oldest first, the shim followed by every process below
// it. On a Kubernetes node each pod has its own shim, so each entry is one
// pod as the node runs it (pause, the containers' processes and the shim).
func ShimPods(address string) [][]int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	var shims []int
	started := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil {
			continue
		}
		children[st.ppid] = append(children[st.ppid], pid)
		if strings.HasPrefix(st.comm, "containerd-shim") {
			cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if bytes.Contains(cmd, []byte("\x00"+address+"\x00")) || bytes.HasSuffix(cmd, []byte("\x00"+address)) {
				shims = append(shims, pid)
				started[pid] = st.start
			}
		}
	}
	slices.SortStableFunc(shims, func(a, b int) int { return cmp.Compare(started[a], started[b]) })
	var out [][]int
	for _, shim := range shims {
		pod := []int{shim}
		for i := 0; i < len(pod); i++ {
			pod = append(pod, children[pod[i]]...)
		}
		out = append(out, pod)
	}
	return out
}

// StatusMeter reads FunctionStatus.usage of one function through the API.
type StatusMeter struct {
	// Client is the API client.
	Client *Client
	// Name is the function.
	Name string
}

// Source names the meter.
func (s StatusMeter) Source() string { return "FunctionStatus.usage" }

// Read returns the usage the provider reports (cpu as cores, memory).
//
// # Errors
//
// Status errors, or an error when the provider reports no usage.
func (s StatusMeter) Read(ctx context.Context) (cpuSeconds, cores, rssBytes float64, err error) {
	st, err := s.Client.Status(ctx, s.Name)
	if err != nil {
		return 0, 0, 0, err
	}
	if st.Usage == nil {
		return 0, 0, 0, fmt.Errorf("status %s: no usage reported", s.Name)
	}
	return -1, st.Usage.CPU, st.Usage.TotalMemoryBytes, nil
}
