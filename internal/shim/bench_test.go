package shim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"
)

// memKB reads a field ("Rss", "Pss") of /proc/pid/smaps_rollup in KiB.
func memKB(pid int, field string) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return n
		}
	}
	return 0
}

func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, _ := strconv.Atoi(f[1])
	return n
}

func median(d []float64) float64 {
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkStartToFirst200 measures what `ctr run -d` followed by polling
// costs: container create (snapshot + spec) + task create + start → the
// first 200 of an invocation (prime-numbers, n=100, polled every 2 ms), for
// the Wasm module under this shim (compiled module cached) and for the same
// function built natively under runc. It reports the median and the RSS and
// PSS (MiB) of the task's process and of its shim after that first call.
// Run with -benchtime=Nx for N rounds.
func BenchmarkStartToFirst200(b *testing.B) {
	h := requireHarness(b)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	for _, kind := range []struct{ name, image, runtime string }{
		{"wasm-shim", "prime-wasm", RuntimeType},
		{"runc-native", "prime-native", "io.containerd.runc.v2"},
	} {
		b.Run(kind.name, func(b *testing.B) {
			nsPath := netns(b)
			client := nsClient(nsPath)
			// Warm-up outside the timer: compiles the module into the node cache.
			warm := h.newContainer(b, kind.name+"-warm", kind.image, kind.runtime, nsPath)
			wt := startTask(b, warm, nil)
			if err := waitStatus(client, "/?n=100", 60*time.Second); err != nil {
				b.Fatal(err)
			}
			wt.Delete(ctx, containerd.WithProcessKill)
			var ms, taskRSS, taskPSS, shimRSS, shimPSS []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				c := h.newContainer(b, fmt.Sprintf("%s-%d", kind.name, i), kind.image, kind.runtime, nsPath)
				task := startTask(b, c, nil)
				if err := waitStatus(client, "/?n=100", 30*time.Second); err != nil {
					b.Fatal(err)
				}
				ms = append(ms, float64(time.Since(start).Microseconds())/1000)
				b.StopTimer()
				pid := int(task.Pid())
				taskRSS = append(taskRSS, memKB(pid, "Rss")/1024)
				taskPSS = append(taskPSS, memKB(pid, "Pss")/1024)
				shimRSS = append(shimRSS, memKB(ppid(pid), "Rss")/1024)
				shimPSS = append(shimPSS, memKB(ppid(pid), "Pss")/1024)
				task.Delete(ctx, containerd.WithProcessKill)
				c.Delete(ctx, containerd.WithSnapshotCleanup)
				b.StartTimer()
			}
			b.ReportMetric(median(ms), "ms-median")
			b.ReportMetric(median(taskRSS), "task-RSS-MiB")
			b.ReportMetric(median(taskPSS), "task-PSS-MiB")
			b.ReportMetric(median(shimRSS), "shim-RSS-MiB")
			b.ReportMetric(median(shimPSS), "shim-PSS-MiB")
		})
	}
}
