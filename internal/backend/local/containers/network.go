package containers

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	gocni "github.com/containerd/go-cni"
)

// cniConfList renders the bridge + host-local network of n.
func cniConfList(n Network) ([]byte, error) {
	if len(n.Bridge) > 15 {
		return nil, fmt.Errorf("bridge name %q is longer than 15 bytes", n.Bridge)
	}
	gw, err := n.Gateway()
	if err != nil {
		return nil, err
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       n.Name,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      n.Bridge,
				"isGateway":   true,
				"ipMasq":      !n.NoIPMasq,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"subnet":  n.Subnet,
					"gateway": gw.String(),
					"dataDir": n.IPAMDir,
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
				},
			},
		},
	}
	return json.Marshal(conf)
}

// Gateway is the bridge's address on the subnet, the first one (what
// host-local picks by default, written into the network's configuration so
// it cannot drift): replicas route through it and reach the host on it,
// by the name provider.HostAlias.
func (n Network) Gateway() (net.IP, error) {
	_, ipnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return nil, fmt.Errorf("subnet %q: %w", n.Subnet, err)
	}
	ip4 := ipnet.IP.To4()
	if ip4 == nil {
		return nil, fmt.Errorf("subnet %q: an IPv4 subnet is required", n.Subnet)
	}
	if ones, _ := ipnet.Mask.Size(); ones > 30 {
		return nil, fmt.Errorf("subnet %q: too small for a gateway and replicas", n.Subnet)
	}
	gw := make(net.IP, 4)
	copy(gw, ip4)
	gw[3]++
	return gw, nil
}

// HostAddress is the address container functions reach the host on: the
// bridge's gateway, which their /etc/hosts names provider.HostAlias. A
// service on the host must listen on it (or on 0.0.0.0) to be reachable.
func (m *Manager) HostAddress() string {
	gw, err := m.opts.network.Gateway()
	if err != nil { // New validated the subnet: not reached
		return ""
	}
	return gw.String()
}

// newCNI loads the network of n, checking that its plugins are installed.
func newCNI(n Network) (gocni.CNI, error) {
	for _, plugin := range []string{"bridge", "host-local"} {
		if !pluginInstalled(n.BinDirs, plugin) {
			return nil, fmt.Errorf("CNI plugin %q not found in %s (install containernetworking-plugins)", plugin, strings.Join(n.BinDirs, ", "))
		}
	}
	conf, err := cniConfList(n)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(n.IPAMDir, 0o700); err != nil {
		return nil, fmt.Errorf("create IPAM dir: %w", err)
	}
	c, err := gocni.New(gocni.WithPluginDir(n.BinDirs), gocni.WithInterfacePrefix("eth"), gocni.WithMinNetworkCount(1))
	if err != nil {
		return nil, fmt.Errorf("CNI: %w", err)
	}
	if err := c.Load(gocni.WithConfListBytes(conf)); err != nil {
		return nil, fmt.Errorf("CNI load network %s: %w", n.Name, err)
	}
	return c, nil
}

func pluginInstalled(dirs []string, name string) bool {
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// netnsPath is the network namespace of a running task's process.
func netnsPath(pid uint32) string { return fmt.Sprintf("/proc/%d/ns/net", pid) }

// attach connects the network namespace of pid to the bridge and returns
// the replica's IPv4 address.
func (m *Manager) attach(ctx context.Context, id string, pid uint32) (string, error) {
	m.cniMu.Lock()
	res, err := m.cni.Setup(ctx, id, netnsPath(pid))
	m.cniMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("CNI setup: %w", err)
	}
	for name, iface := range res.Interfaces {
		if !strings.HasPrefix(name, "eth") {
			continue
		}
		for _, ipc := range iface.IPConfigs {
			if ip4 := ipc.IP.To4(); ip4 != nil {
				return ip4.String(), nil
			}
		}
	}
	return "", fmt.Errorf("CNI setup of %s returned no IPv4 address", id)
}

// detach releases the replica's address and veth. pid 0 means the task is
// gone; the lease is released without entering a namespace.
func (m *Manager) detach(ctx context.Context, id string, pid uint32) error {
	path := ""
	if pid != 0 {
		path = netnsPath(pid)
		if _, err := os.Stat(path); err != nil {
			path = ""
		}
	}
	m.cniMu.Lock()
	err := m.cni.Remove(ctx, id, path)
	m.cniMu.Unlock()
	if err != nil {
		return fmt.Errorf("CNI remove %s: %w", id, err)
	}
	return nil
}

// containerResolvConf derives a replica's resolv.conf from the host's:
// nameservers on loopback (a local stub resolver) cannot be reached from the
// replica's network namespace and are dropped.
func containerResolvConf(host []byte) []byte {
	var out strings.Builder
	for _, line := range strings.Split(string(host), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "nameserver" {
			if ip := net.ParseIP(fields[1]); ip == nil || ip.IsLoopback() {
				continue
			}
		}
		if len(fields) > 0 {
			out.WriteString(line + "\n")
		}
	}
	return []byte(out.String())
}
