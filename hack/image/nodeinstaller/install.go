// Command nodeinstaller is the entrypoint of faas-wasm's node-installer
// image, run by the chart's privileged DaemonSet on every node labelled for
// Wasm functions. It copies containerd-shim-faaswasm-v1 and faaswasm-runner
// from the image to the node (through the node's root filesystem mounted at
// -host-root), creates the node's compiled-module cache directory, writes
// the node's trusted build keys (-trusted-build-keys), registers
// the CRI runtime (runtime_type io.containerd.faaswasm.v1) in containerd's
// configuration, optionally restarts containerd through systemd, then waits
// for SIGTERM so that the DaemonSet pod stays running. It is the only node
// installer of the repository: hack/shim/cluster.sh runs it (-host-root /
// -oneshot) to put the shim into the test cluster.
//
// The runtime table follows the configuration's version: version 2
// (containerd 1.6/1.7) gets
//
//	[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]
//
// version 3 (containerd 2.x) gets
//
//	[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.faaswasm]
//
// and version 1 (no version line, old containerd 1.x) plugins.cri…. An empty
// or absent configuration (and a drop-in) takes the version from the node's
// `containerd --version` (2.x: 3, else 2) unless -config-version says.
// Registering is idempotent: an existing table of the runtime is brought to
// the wanted keys in place, and a re-run changes nothing (see Register).
//
// It does not uninstall anything when stopped, does not edit a containerd
// configuration it cannot read as TOML statements or where the runtime is
// defined with dotted keys or inline tables, and does not restart
// containerd unless asked (-restart systemd).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// Binaries are the files the installer copies from its source directory.
var Binaries = []string{"containerd-shim-faaswasm-v1", "faaswasm-runner"}

var runtimeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Plan is what one installation does; paths other than Source are paths on
// the node, resolved under HostRoot.
type Plan struct {
	// Source is the image directory holding Binaries.
	Source string
	// HostRoot is where the node's root filesystem is mounted ("/" to
	// install on the machine the installer runs on).
	HostRoot string
	// BinDir is the node directory the binaries go to; it must be on
	// containerd's PATH (containerd 1.6 ignores runtime_path).
	BinDir string
	// CacheDir is the node's compiled-module cache, created mode 0700.
	CacheDir string
	// RuntimeName is the CRI runtime name, the RuntimeClass handler.
	RuntimeName string
	// Config, when set, is containerd's config.toml: the runtime table is
	// appended to it once.
	Config string
	// DropIn, when set, is a file that holds only the runtime table; it is
	// rewritten when its content differs (for setups that assemble
	// containerd's configuration from fragments).
	DropIn string
	// ConfigVersion is the configuration syntax to write (1, 2 or 3); 0
	// detects it (see ChooseVersion). A drop-in takes Config's version when
	// Config is set.
	ConfigVersion int
	// ContainerdMajor reports the node's containerd major version, for
	// detection; nil or an error counts as unknown.
	ContainerdMajor func() (int, error)
	// TrustedBuildKeys, when set, is a file (in the installer's file
	// system) of PEM ed25519 public keys, written to the node at
	// runspec.DefaultTrustedBuildKeys, where the shim reads them for each
	// new pod: their signed precompiled layers are installed instead of
	// compiling. Unset, that node file is removed: the installer owns it.
	TrustedBuildKeys string
	// ShimGroup, when "node", is written to the node at
	// runspec.DefaultShimGroup: the shim then runs one daemon for all the
	// node's Wasm pods instead of one per pod (see package shim's
	// GroupNode). "" or "pod" removes that file.
	ShimGroup string
}

// Result tells what an installation changed.
type Result struct {
	// Installed lists the binaries that were written (absent or different).
	Installed []string
	// Registered is true when a configuration file was changed, i.e.
	// containerd must be restarted to load the runtime.
	Registered bool
	// Version is the configuration syntax written (0 when no configuration
	// or drop-in was asked for).
	Version int
	// Warnings are things the operator should know (CRI plugin disabled,
	// an earlier installer's misplaced table removed, unknown containerd).
	Warnings []string
	// KeysChanged is true when the node's trusted build keys were
	// written or removed (no restart needed: the shim reads them per pod).
	KeysChanged bool
}

func (p Plan) host(path string) string { return filepath.Join(p.HostRoot, path) }

// Validate checks the plan before anything is touched.
//
// # Errors
// A description of the first bad field.
func (p Plan) Validate() error {
	switch {
	case !runtimeName.MatchString(p.RuntimeName):
		return fmt.Errorf("runtime name %q: want a DNS label", p.RuntimeName)
	case p.Source == "" || p.HostRoot == "":
		return errors.New("source and host root are required")
	case p.ShimGroup != "" && p.ShimGroup != "pod" && p.ShimGroup != "node":
		return fmt.Errorf("shim group %q: want pod or node", p.ShimGroup)
	}
	for flag, v := range map[string]string{"bin-dir": p.BinDir, "cache-dir": p.CacheDir} {
		if !filepath.IsAbs(v) {
			return fmt.Errorf("%s %q: want an absolute node path", flag, v)
		}
	}
	for flag, v := range map[string]string{"config": p.Config, "drop-in": p.DropIn} {
		if v != "" && !filepath.IsAbs(v) {
			return fmt.Errorf("%s %q: want an absolute node path", flag, v)
		}
	}
	return nil
}

// Install carries out the plan. It is idempotent: unchanged binaries are not
// rewritten and the runtime is registered once.
//
// # Errors
// Invalid plans, a missing source binary, and file system failures, each
// naming the path involved.
func Install(p Plan) (Result, error) {
	var res Result
	if err := p.Validate(); err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	binDir := p.host(p.BinDir)
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	for _, b := range Binaries {
		changed, err := installBinary(filepath.Join(p.Source, b), filepath.Join(binDir, b))
		if err != nil {
			return res, fmt.Errorf("install %s: %w", b, err)
		}
		if changed {
			res.Installed = append(res.Installed, filepath.Join(p.BinDir, b))
		}
	}
	cache := p.host(p.CacheDir)
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return res, fmt.Errorf("install: cache dir: %w", err)
	}
	if err := os.Chmod(cache, 0o700); err != nil {
		return res, fmt.Errorf("install: cache dir: %w", err)
	}
	keys, err := p.installKeys()
	if err != nil {
		return res, fmt.Errorf("install: trusted build keys: %w", err)
	}
	res.KeysChanged = keys
	if err := p.installShimGroup(); err != nil {
		return res, fmt.Errorf("install: shim group: %w", err)
	}
	if p.Config == "" && p.DropIn == "" {
		return res, nil
	}
	// The node's containerd version, asked only when the syntax is not
	// settled by the flag or the configuration's version line.
	major, asked := 0, false
	majorFor := func(doc string) int {
		if v, err := ConfigVersion(doc); asked || p.ConfigVersion != 0 || v != 0 || err != nil || p.ContainerdMajor == nil {
			return major
		}
		asked = true
		m, err := p.ContainerdMajor()
		if err != nil {
			res.Warnings = append(res.Warnings, "containerd version unknown: "+err.Error())
		}
		major = m
		return major
	}
	if p.Config != "" {
		path := p.host(p.Config)
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("install: %w", err)
		}
		mode := fs.FileMode(0o644)
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
		version, err := ChooseVersion(string(old), p.ConfigVersion, majorFor(string(old)))
		if err != nil {
			return res, fmt.Errorf("install: %s: %w", p.Config, err)
		}
		text, warnings, changed, err := Register(string(old), version, p.RuntimeName)
		if err != nil {
			return res, fmt.Errorf("install: register runtime in %s: %w", p.Config, err)
		}
		res.Version = version
		res.Warnings = append(res.Warnings, warnings...)
		if changed {
			if _, err := writeIfDifferent(path, []byte(text), mode); err != nil {
				return res, fmt.Errorf("install: register runtime in %s: %w", p.Config, err)
			}
			res.Registered = true
		}
	}
	if p.DropIn != "" {
		version := res.Version
		if version == 0 {
			v, err := ChooseVersion("", p.ConfigVersion, majorFor(""))
			if err != nil {
				return res, fmt.Errorf("install: drop-in %s: %w", p.DropIn, err)
			}
			version = v
		}
		res.Version = version
		body := fmt.Sprintf("# Written by the faas-wasm node installer (containerd configuration version %d syntax).\n", version) + Table(version, p.RuntimeName)
		changed, err := writeIfDifferent(p.host(p.DropIn), []byte(body), 0o644)
		if err != nil {
			return res, fmt.Errorf("install: drop-in %s: %w", p.DropIn, err)
		}
		res.Registered = res.Registered || changed
	}
	return res, nil
}

// installKeys writes the node's trusted build keys from
// p.TrustedBuildKeys, or removes them when it is unset, and reports whether
// the node file changed.
func (p Plan) installKeys() (bool, error) {
	node := p.host(runspec.DefaultTrustedBuildKeys)
	if p.TrustedBuildKeys == "" {
		err := os.Remove(node)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	data, err := os.ReadFile(p.TrustedBuildKeys)
	if err != nil {
		return false, err
	}
	if _, err := precompiled.ParsePublicKeys(data); err != nil {
		return false, fmt.Errorf("%s: %w", p.TrustedBuildKeys, err)
	}
	return writeIfDifferent(node, data, 0o644)
}

// installShimGroup writes "node" to the node's runspec.DefaultShimGroup
// when p.ShimGroup asks for it, and removes that file otherwise (the shim's
// default, a daemon per pod). The shim reads it for each new container.
func (p Plan) installShimGroup() error {
	node := p.host(runspec.DefaultShimGroup)
	if p.ShimGroup != "node" {
		if err := os.Remove(node); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	_, err := writeIfDifferent(node, []byte("node\n"), 0o644)
	return err
}

// installBinary copies src to dst (mode 0755) unless dst already has the
// same content; it streams (the runner is tens of MiB and the installer runs
// under a small memory limit), writes beside dst and renames, so a running
// shim keeps its old inode.
func installBinary(src, dst string) (bool, error) {
	same, err := sameContent(src, dst)
	if err != nil || same {
		if err == nil {
			err = os.Chmod(dst, 0o755)
		}
		return false, err
	}
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".new")
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return false, err
	}
	if err := out.Close(); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, dst)
}

// sameContent tells whether dst exists with the bytes of src, comparing in
// small chunks.
func sameContent(src, dst string) (bool, error) {
	a, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer a.Close()
	b, err := os.Open(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer b.Close()
	sa, err := a.Stat()
	if err != nil {
		return false, err
	}
	sb, err := b.Stat()
	if err != nil || sa.Size() != sb.Size() {
		return false, err
	}
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		n, errA := io.ReadFull(a, bufA)
		m, errB := io.ReadFull(b, bufB[:n])
		if m != n || !bytes.Equal(bufA[:n], bufB[:m]) {
			return false, nil
		}
		if errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF) {
			return true, nil
		}
		if errA != nil {
			return false, errA
		}
		if errB != nil {
			return false, errB
		}
	}
}

func writeIfDifferent(path string, data []byte, mode fs.FileMode) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, os.Chmod(path, mode)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}
