package containers

import (
	"encoding/json"
	"strings"
	"testing"
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
						Type, Subnet, DataDir string
					} `json:"ipam"`
				} `json:"plugins"`
			}
			if err := json.Unmarshal(b, &conf); err != nil {
				t.Fatal(err)
			}
			p := conf.Plugins[0]
			if conf.Name != tc.n.Name || p.Type != "bridge" || p.Bridge != tc.n.Bridge || p.IPMasq == tc.n.NoIPMasq ||
				p.IPAM.Type != "host-local" || p.IPAM.Subnet != tc.n.Subnet || p.IPAM.DataDir != tc.n.IPAMDir {
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
