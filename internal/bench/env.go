package bench

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Environment is where and when a run took place.
type Environment struct {
	// Mode is the report's mode (local or kubernetes).
	Mode string `json:"mode"`
	// Profile is full or quick.
	Profile string `json:"profile"`
	// Gateway is the API measured.
	Gateway string `json:"gateway"`
	// CPU is the model name from /proc/cpuinfo.
	CPU string `json:"cpu"`
	// Cores is the number of logical CPUs.
	Cores int `json:"cores"`
	// MemTotal is from /proc/meminfo.
	MemTotal string `json:"memTotal"`
	// Kernel is the kernel release.
	Kernel string `json:"kernel"`
	// OS is PRETTY_NAME from /etc/os-release.
	OS string `json:"os"`
	// Go is the Go version the benchmark was built with.
	Go string `json:"go"`
	// Provider is what /system/info reports.
	Provider string `json:"provider"`
	// Containerd is the private containerd's version (local mode).
	Containerd string `json:"containerd,omitempty"`
	// Commit is the checkout's git commit.
	Commit string `json:"commit"`
	// LoadAverage is /proc/loadavg at the start.
	LoadAverage string `json:"loadAverage"`
	// Started and Finished are RFC 3339 UTC times.
	Started  string `json:"started"`
	Finished string `json:"finished,omitempty"`
}

// Describe collects the machine's description; repo is the git checkout
// whose commit is recorded, containerd the socket whose version is asked
// ("" for none).
func Describe(ctx context.Context, repo, containerd string) Environment {
	e := Environment{
		Cores:       runtime.NumCPU(),
		Go:          runtime.Version(),
		CPU:         procField("/proc/cpuinfo", "model name"),
		MemTotal:    procField("/proc/meminfo", "MemTotal"),
		Kernel:      firstLine("/proc/sys/kernel/osrelease"),
		OS:          strings.Trim(procEquals("/etc/os-release", "PRETTY_NAME"), `"`),
		LoadAverage: firstLine("/proc/loadavg"),
		Started:     time.Now().UTC().Format(time.RFC3339),
	}
	e.Commit = command(ctx, repo, "git", "rev-parse", "HEAD")
	if dirty := command(ctx, repo, "git", "status", "--porcelain", "--untracked-files=no"); dirty != "" {
		e.Commit += " (with uncommitted changes)"
	}
	if containerd != "" {
		e.Containerd = command(ctx, "", "ctr", "--address", containerd, "version")
		if i := strings.LastIndex(e.Containerd, "Version:"); i >= 0 {
			e.Containerd = strings.Fields(e.Containerd[i+len("Version:"):])[0]
		}
	}
	return e
}

func command(ctx context.Context, dir, prog string, args ...string) string {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

// procField returns the value of the first "key: value" line.
func procField(path, key string) string {
	data, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// procEquals returns the value of the first "key=value" line.
func procEquals(path, key string) string {
	data, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return v
		}
	}
	return "unknown"
}
