package runspec

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"full", Config{Name: "f", Namespace: "ns", ModulePath: "/m.wasm", CacheDir: "/c", Addr: ":9000",
			Env: map[string]string{"A": "1"}, SecretsDir: "/s", MemoryLimit: 1 << 20, Timeout: 3 * time.Second,
			MaxRequestBytes: 10, MaxConcurrency: 2, AllowedHosts: []string{"h:1"}, Warm: true}, false},
		{"no module", Config{Name: "f"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			if err := WriteConfig(p, tc.cfg); err != nil {
				t.Fatal(err)
			}
			got, err := ReadConfig(p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ReadConfig error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.cfg) {
				t.Fatalf("ReadConfig = %+v, want %+v", got, tc.cfg)
			}
		})
	}
	if _, err := ReadConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("ReadConfig of a missing file succeeded")
	}
}

func TestLinearMemoryLimit(t *testing.T) {
	for _, tc := range []struct{ cgroup, want int64 }{
		{0, 0}, {-1, 0}, {48 << 20, 24 << 20}, {64 << 20, 32 << 20}, {65 << 20, 33 << 20}, {256 << 20, 224 << 20},
	} {
		if got := LinearMemoryLimit(tc.cgroup); got != tc.want {
			t.Errorf("LinearMemoryLimit(%d) = %d, want %d", tc.cgroup, got, tc.want)
		}
	}
}
