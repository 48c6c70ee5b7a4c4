package containers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestCNIConfList(t *testing.T) {
	tests := []struct {
		name    string
		n       Network
		wantErr string
	}{
		{"default-like", Network{Name: "faas-wasm", Bridge: "faaswasm0", Subnet: "10.62.0.0/16", IPAMDir: "/x"}, ""},
		{"long bridge", Network{Name: "n", Bridge: "a-very-long-bridge", Subnet: "10.62.0.0/16"}, "longer than 15"},
		{"bad subnet", Network{Name: "n", Bridge: "b", Subnet: "10.62.0.0"}, "subnet"},
		{"ipv6 subnet", Network{Name: "n", Bridge: "b", Subnet: "fd00::/64"}, "IPv4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := cniConfList(tc.n)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var conf struct {
				Name    string `json:"name"`
				Plugins []struct {
					Type   string `json:"type"`
					Bridge string `json:"bridge"`
					IPMasq bool   `json:"ipMasq"`
					IPAM   struct {
						Type, Subnet, DataDir, Gateway string
					} `json:"ipam"`
				} `json:"plugins"`
			}
			if err := json.Unmarshal(b, &conf); err != nil {
				t.Fatal(err)
			}
			p := conf.Plugins[0]
			if conf.Name != tc.n.Name || p.Type != "bridge" || p.Bridge != tc.n.Bridge || p.IPMasq == tc.n.NoIPMasq ||
				p.IPAM.Type != "host-local" || p.IPAM.Subnet != tc.n.Subnet || p.IPAM.DataDir != tc.n.IPAMDir ||
				p.IPAM.Gateway != "10.62.0.1" {
				t.Fatalf("conf %s", b)
			}
		})
	}
}

func TestNewCNIMissingPlugins(t *testing.T) {
	_, err := newCNI(Network{Name: "n", Bridge: "b", Subnet: "10.1.0.0/24", BinDirs: []string{t.TempDir()}, IPAMDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "containernetworking-plugins") {
		t.Fatalf("err = %v", err)
	}
}

func TestContainerResolvConf(t *testing.T) {
	host := "# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.org\n\noptions edns0\n"
	want := "# generated\nnameserver 10.0.0.2\nsearch example.org\noptions edns0\n"
	if got := string(containerResolvConf([]byte(host))); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestNetworkGateway checks the bridge address replicas reach the host on.
func TestNetworkGateway(t *testing.T) {
	for _, tc := range []struct{ subnet, want, wantErr string }{
		{"10.62.0.0/16", "10.62.0.1", ""},
		{"10.62.7.9/24", "10.62.7.1", ""},
		{"192.168.200.0/30", "192.168.200.1", ""},
		{"192.168.200.0/31", "", "too small"},
		{"fd00::/64", "", "IPv4"},
		{"nonsense", "", "subnet"},
	} {
		gw, err := Network{Subnet: tc.subnet}.Gateway()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.subnet, err, tc.wantErr)
			}
			continue
		}
		if err != nil || gw.String() != tc.want {
			t.Errorf("%s: gateway = %v, %v; want %s", tc.subnet, gw, err, tc.want)
		}
	}
}

// TestEtcHostsNamesTheHost checks the hosts file a replica gets: its own
// name on loopback and provider.HostAlias on the bridge gateway.
func TestEtcHostsNamesTheHost(t *testing.T) {
	dir := t.TempDir()
	if err := writeEtcFiles(dir, "echo-openfaas-fn-1", "10.62.0.1"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.1\tlocalhost echo-openfaas-fn-1\n", "10.62.0.1\t" + provider.HostAlias + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("hosts %q lacks %q", b, want)
		}
	}
}
