package containers

import (
	"log/slog"
	"time"
)

// DefaultSocket is where a host's containerd service listens.
const DefaultSocket = "/run/containerd/containerd.sock"

// Network describes the CNI bridge network replicas are attached to. Each
// network needs its own bridge and subnet; two managers may share one only
// if they also share IPAMDir, as they do by default.
type Network struct {
	// Name of the CNI network (default "faas-wasm").
	Name string
	// Bridge is the Linux bridge device, at most 15 bytes (default "faaswasm0").
	Bridge string
	// Subnet in CIDR form (default "10.62.0.0/16").
	Subnet string
	// BinDirs are searched for the CNI plugins bridge and host-local
	// (default /usr/lib/cni and /opt/cni/bin).
	BinDirs []string
	// IPAMDir holds host-local's address leases, below a directory named
	// after the network (default /var/lib/cni/networks, host-local's own
	// default: providers with different state directories on one host draw
	// their replicas' addresses from one pool).
	IPAMDir string
	// NoIPMasq turns off masquerading of traffic leaving the subnet; with
	// it, replicas cannot reach beyond the host (iptables rules untouched).
	NoIPMasq bool
}

// LogSink receives one line of a replica's stdout or stderr, without the
// trailing newline. instance is the replica id. It is called from the
// replica's tailer goroutine and must not block for long.
type LogSink func(function, namespace, instance, line string)

// Option configures a Manager.
type Option func(*options)

type options struct {
	namespace      string
	network        Network
	logger         *slog.Logger
	sink           LogSink
	insecure       []string
	stateDir       string
	runtime        string
	snapshotter    string
	port           int
	healthInterval time.Duration
	startTimeout   time.Duration
	backoffMin     time.Duration
	backoffMax     time.Duration
	stopTimeout    time.Duration
	maxLogBytes    int64
}

// WithNamespace sets the containerd namespace the manager owns (default
// "faas-wasm"). Function namespaces are recorded as labels inside it.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithNetwork sets the CNI network; zero fields keep their defaults.
func WithNetwork(n Network) Option { return func(o *options) { o.network = n } }

// WithLogger sets the manager's own logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLogSink sets where replicas' output lines go (default: dropped).
func WithLogSink(s LogSink) Option { return func(o *options) { o.sink = s } }

// WithInsecureRegistries lists registry hosts ("host:port") reached over
// plain HTTP. Loopback registries (localhost, 127.0.0.0/8, ::1) always are.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithStateDir sets the directory for per-replica files: hosts,
// resolv.conf, output logs, and the IPAM leases (default
// /var/lib/faas-wasm/containers).
func WithStateDir(dir string) Option { return func(o *options) { o.stateDir = dir } }

// WithRuntime sets the containerd runtime (default "io.containerd.runc.v2").
func WithRuntime(name string) Option { return func(o *options) { o.runtime = name } }

// WithSnapshotter sets the containerd snapshotter (default "overlayfs").
func WithSnapshotter(name string) Option { return func(o *options) { o.snapshotter = name } }

// WithHealthInterval sets how often a ready replica is probed (default 1 s).
// Replicas that are not ready yet are probed every 10 ms.
func WithHealthInterval(d time.Duration) Option { return func(o *options) { o.healthInterval = d } }

// WithStartTimeout sets how long a replica may take to answer its first
// health check before it is reported as never opening its port (default 30 s).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// WithRestartBackoff sets the first and the longest delay before a dead
// task is restarted (defaults 1 s and 30 s). The delay doubles for every
// exit that follows a run shorter than max.
func WithRestartBackoff(minDelay, maxDelay time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = minDelay, maxDelay }
}

// WithStopTimeout sets how long a replica gets between SIGTERM and SIGKILL
// when it is removed (default 5 s).
func WithStopTimeout(d time.Duration) Option { return func(o *options) { o.stopTimeout = d } }

// WithMaxLogBytes sets the size at which a replica's output log file is
// truncated once it has been read (default 8 MiB).
func WithMaxLogBytes(n int64) Option { return func(o *options) { o.maxLogBytes = n } }

// withDefaults fills unset options.
func (o *options) withDefaults() {
	if o.namespace == "" {
		o.namespace = "faas-wasm"
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.stateDir == "" {
		o.stateDir = "/var/lib/faas-wasm/containers"
	}
	if o.runtime == "" {
		o.runtime = "io.containerd.runc.v2"
	}
	if o.snapshotter == "" {
		o.snapshotter = "overlayfs"
	}
	if o.port == 0 {
		o.port = 8080
	}
	if o.healthInterval <= 0 {
		o.healthInterval = time.Second
	}
	if o.startTimeout <= 0 {
		o.startTimeout = 30 * time.Second
	}
	if o.backoffMin <= 0 {
		o.backoffMin = time.Second
	}
	if o.backoffMax < o.backoffMin {
		o.backoffMax = max(30*time.Second, o.backoffMin)
	}
	if o.stopTimeout <= 0 {
		o.stopTimeout = 5 * time.Second
	}
	if o.maxLogBytes <= 0 {
		o.maxLogBytes = 8 << 20
	}
	n := &o.network
	if n.Name == "" {
		n.Name = "faas-wasm"
	}
	if n.Bridge == "" {
		n.Bridge = "faaswasm0"
	}
	if n.Subnet == "" {
		n.Subnet = "10.62.0.0/16"
	}
	if len(n.BinDirs) == 0 {
		n.BinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}
	}
	if n.IPAMDir == "" {
		n.IPAMDir = "/var/lib/cni/networks"
	}
}
