package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
)

const (
	v2Header = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]`
	v3Header = `[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.faaswasm]`
	v1Header = `[plugins.cri.containerd.runtimes.faaswasm]`
)

// A containerd 1.7 configuration as `containerd config default` writes it
// (abridged), with runc's table and its options sub-table.
const config17 = `disabled_plugins = []
version = 2

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          pod_annotations = []

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = true
`

// A containerd 2.x configuration in the style of its docs (single-quoted
// plugin names), with a multi-line array and a comment holding brackets.
const config20 = `version = 3
root = '/var/lib/containerd'

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10'

[plugins.'io.containerd.cri.v1.runtime']
  # [not a table] = "nor a key"
  cdi_spec_dirs = [
    '/etc/cdi',   # comment ]
    '/var/run/cdi',
  ]

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    SystemdCgroup = true
`

// register runs ChooseVersion and Register, then checks that a second run
// is a no-op.
func register(t *testing.T, doc string, want, major int) (string, int, []string) {
	t.Helper()
	v, err := ChooseVersion(doc, want, major)
	if err != nil {
		t.Fatalf("ChooseVersion: %v", err)
	}
	out, warnings, changed, err := Register(doc, v, "faaswasm")
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if changed != (out != doc) {
		t.Errorf("changed = %v but the document %s", changed, map[bool]string{true: "differs", false: "is the same"}[out != doc])
	}
	v2, err := ChooseVersion(out, want, major)
	if err != nil || v2 != v {
		t.Fatalf("re-run ChooseVersion = %d, %v; want %d", v2, err, v)
	}
	again, _, changed, err := Register(out, v, "faaswasm")
	if err != nil || changed || again != out {
		t.Fatalf("re-run changed the configuration (%v, %v):\n%s", changed, err, again)
	}
	return out, v, warnings
}

func checkTable(t *testing.T, out, header string) {
	t.Helper()
	if strings.Count(out, header) != 1 {
		t.Fatalf("want exactly one %s in:\n%s", header, out)
	}
	body := out[strings.Index(out, header)+len(header):]
	if i := strings.Index(body, "\n["); i >= 0 {
		body = body[:i]
	}
	for _, kv := range runtimeKeys {
		if !strings.Contains(body, kv.key+" = "+kv.value) {
			t.Errorf("table lacks %s = %s:\n%s", kv.key, kv.value, out)
		}
	}
	if _, err := scanTOML(out); err != nil {
		t.Errorf("result does not scan: %v", err)
	}
}

func TestRegisterContainerd17(t *testing.T) {
	out, v, _ := register(t, config17, 0, 1)
	if v != 2 {
		t.Fatalf("version %d, want 2", v)
	}
	checkTable(t, out, v2Header)
	if !strings.HasPrefix(out, config17) {
		t.Errorf("the original configuration was not kept verbatim:\n%s", out)
	}
	if strings.Contains(out, "io.containerd.cri.v1.runtime") || strings.Contains(out, v1Header) {
		t.Errorf("wrong plugin name written:\n%s", out)
	}
}

func TestRegisterContainerd20(t *testing.T) {
	out, v, _ := register(t, config20, 0, 2)
	if v != 3 {
		t.Fatalf("version %d, want 3", v)
	}
	checkTable(t, out, v3Header)
	if !strings.HasPrefix(out, config20) || strings.Contains(out, "io.containerd.grpc.v1.cri") {
		t.Errorf("configuration:\n%s", out)
	}
}

func TestRegisterNoCRISection(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		major     int
		header    string
	}{
		{"version 2, containerd 1.7", "version = 2\nroot = \"/var/lib/containerd\"\n\n[grpc]\n  address = \"/run/containerd/containerd.sock\"\n", 1, v2Header},
		{"version 3, containerd 2.1", "version = 3\n[grpc]\n  address = '/run/containerd/containerd.sock'", 2, v3Header},
		{"version 2 read by containerd 2.x", "version = 2\n[grpc]\n  uid = 0\n", 2, v2Header},
		{"unversioned, containerd 1.6", "root = \"/var/lib/containerd\"\n", 1, v1Header},
		{"unversioned, containerd unknown", "root = \"/var/lib/containerd\"\n", 0, v1Header},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _, _ := register(t, tt.doc, 0, tt.major)
			checkTable(t, out, tt.header)
			if !strings.HasPrefix(out, strings.TrimRight(tt.doc, "\n")) {
				t.Errorf("original not kept:\n%s", out)
			}
		})
	}
}

func TestRegisterEmpty(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		want      int
		major     int
		version   string
		header    string
	}{
		{"containerd 1.7", "", 0, 1, "version = 2\n", v2Header},
		{"containerd 2.0", "", 0, 2, "version = 3\n", v3Header},
		{"containerd unknown", "\n", 0, 0, "version = 2\n", v2Header},
		{"asked for 3", "", 3, 1, "version = 3\n", v3Header},
		{"only comments", "# managed by hand\n", 0, 2, "version = 3\n# managed by hand\n", v3Header},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _, _ := register(t, tt.doc, tt.want, tt.major)
			checkTable(t, out, tt.header)
			if !strings.HasPrefix(out, tt.version) {
				t.Errorf("want it to start with %q:\n%s", tt.version, out)
			}
		})
	}
}

func TestRegisterExistingTable(t *testing.T) {
	t.Run("ours already", func(t *testing.T) {
		doc := "version = 2\n" + Table(2, "faaswasm")
		out, _, _ := register(t, doc, 0, 1)
		if out != doc {
			t.Errorf("changed a correct table:\n%s", out)
		}
	})
	t.Run("another runtime_type, extra keys, options", func(t *testing.T) {
		doc := `version = 3
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.faaswasm]
    runtime_type = "io.containerd.runc.v2"   # a placeholder
    privileged_without_host_devices = true
    pod_annotations = [
      "x",
    ]
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.faaswasm.options]
      BinaryName = "/bin/true"
[debug]
  level = "info"
`
		out, _, _ := register(t, doc, 0, 2)
		checkTable(t, out, v3Header)
		for _, keep := range []string{"privileged_without_host_devices = true", "BinaryName = \"/bin/true\"", "[debug]\n  level = \"info\"", "    runtime_type = "} {
			if !strings.Contains(out, keep) {
				t.Errorf("lost %q:\n%s", keep, out)
			}
		}
		if strings.Contains(out, `"x"`) || strings.Contains(out, "runc.v2") {
			t.Errorf("old values left:\n%s", out)
		}
	})
	t.Run("single-quoted header, missing keys", func(t *testing.T) {
		doc := "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.faaswasm]\n  runtime_type = \"io.containerd.faaswasm.v1\"\n\n[debug]\n  level = \"info\"\n"
		out, _, _ := register(t, doc, 0, 2)
		if strings.Contains(out, v3Header) {
			t.Errorf("appended a second table:\n%s", out)
		}
		want := "faaswasm]\n  runtime_type = \"io.containerd.faaswasm.v1\"\n  pod_annotations = [\"com.openfaas.wasm.*\"]\n  container_annotations = [\"com.openfaas.wasm.*\"]\n\n[debug]"
		if !strings.Contains(out, want) {
			t.Errorf("want the keys added in the table:\n%s", out)
		}
	})
	t.Run("misplaced table of an earlier installer", func(t *testing.T) {
		// What hack/shim/install.sh wrote into a containerd 2.x config:
		// containerd 2.x never reads it.
		doc := "version = 3\n[grpc]\n  uid = 0\n\n# Added by faas-wasm hack/shim/install.sh: Wasm functions (RuntimeClass handler faaswasm).\n[plugins.cri.containerd.runtimes.faaswasm]\n  runtime_type = \"io.containerd.faaswasm.v1\"\n\n[debug]\n  level = \"info\"\n"
		out, _, warnings := register(t, doc, 0, 2)
		checkTable(t, out, v3Header)
		if strings.Contains(out, "plugins.cri.") || strings.Contains(out, "install.sh") || len(warnings) != 1 {
			t.Errorf("misplaced table kept (warnings %q):\n%s", warnings, out)
		}
		if !strings.HasPrefix(out, "version = 3\n[grpc]\n  uid = 0\n\n[debug]\n  level = \"info\"\n") {
			t.Errorf("rest of the file changed:\n%s", out)
		}
	})
	t.Run("someone else's table in another syntax is left alone", func(t *testing.T) {
		doc := "version = 3\n" + Table(2, "faaswasm")
		out, _, _ := register(t, doc, 0, 2)
		checkTable(t, out, v3Header)
		if !strings.Contains(out, v2Header) {
			t.Errorf("removed a table the installer did not write:\n%s", out)
		}
	})
}

func TestRegisterRefuses(t *testing.T) {
	for _, tt := range []struct{ name, doc string }{
		{"inline table", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\n  faaswasm = { runtime_type = \"x\" }\n"},
		{"dotted keys", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  runtimes.faaswasm.runtime_type = \"x\"\n"},
		{"parent inline", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  containerd = { snapshotter = \"overlayfs\" }\n"},
		{"defined twice", "version = 2\n" + Table(2, "faaswasm") + Table(2, "faaswasm")},
		{"unterminated array", "version = 2\nx = [1,\n"},
		{"bad header", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if out, _, _, err := Register(tt.doc, 2, "faaswasm"); err == nil {
				t.Errorf("Register accepted it:\n%s", out)
			}
		})
	}
}

func TestRegisterWarnsDisabledCRI(t *testing.T) {
	// Docker's containerd package ships this.
	_, _, warnings := register(t, "disabled_plugins = [\"cri\"]\n", 0, 1)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "disables the CRI plugin") {
		t.Errorf("warnings %q", warnings)
	}
}

func TestChooseVersion(t *testing.T) {
	for _, tt := range []struct {
		name        string
		doc         string
		want, major int
		version     int
		fails       bool
	}{
		{"version line wins", "version = 2\n", 0, 2, 2, false},
		{"version 3 line", "  version=3 # comment\n[x]\n", 0, 1, 3, false},
		{"version in a table is not the file's", "[x]\nversion = 3\n", 0, 1, 1, false},
		{"conflicting want", "version = 2\n", 3, 0, 0, true},
		{"unsupported want", "", 4, 0, 0, true},
		{"unsupported version", "version = 4\n", 0, 0, 0, true},
		{"unversioned for containerd 2", "[grpc]\n", 0, 2, 0, true},
		{"unversioned with want 2", "[grpc]\n", 2, 1, 0, true},
		{"unversioned with want 1", "[grpc]\n", 1, 2, 1, false},
		{"empty containerd 2", "", 0, 2, 3, false},
		{"empty containerd 1", "", 0, 1, 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ChooseVersion(tt.doc, tt.want, tt.major)
			if (err != nil) != tt.fails || v != tt.version {
				t.Errorf("ChooseVersion = %d, %v; want %d (fails %v)", v, err, tt.version, tt.fails)
			}
		})
	}
}

func TestParseContainerdMajor(t *testing.T) {
	for out, want := range map[string]int{
		"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1\n":            1,
		"containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da":       1,
		"containerd github.com/containerd/containerd/v2 v2.1.0 061792f0ecf3684fb30a3a0e": 2,
	} {
		if got, err := parseContainerdMajor(out); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", out, got, err, want)
		}
	}
	if _, err := parseContainerdMajor("containerd: command not found"); err == nil {
		t.Error("accepted garbage")
	}
}

// TestContainerdMajorHere asks this machine's containerd, when it has one
// (the test cluster's nodes run containerd 1.6).
func TestContainerdMajorHere(t *testing.T) {
	if _, err := os.Stat("/usr/bin/containerd"); err != nil {
		testenv.Missing(t, "no /usr/bin/containerd (hack/install-deps.sh installs it)")
	}
	m, err := containerdMajor("/")
	if err != nil || m < 1 {
		t.Errorf("containerdMajor = %d, %v", m, err)
	}
	t.Logf("containerd major version %d", m)
}

// TestInstallContainerd2 runs a whole installation against a node with
// containerd 2.x: the configuration and the drop-in get version 3 tables.
func TestInstallContainerd2(t *testing.T) {
	p := fixture(t)
	p.Config = "/etc/containerd/config.toml"
	p.DropIn = "/etc/containerd/conf.d/faaswasm.toml"
	p.ContainerdMajor = func() (int, error) { return 2, nil }
	cfg := filepath.Join(p.HostRoot, p.Config)
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(config20), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Install(p)
	if err != nil || !res.Registered || res.Version != 3 {
		t.Fatalf("Install = %+v, %v", res, err)
	}
	got, _ := os.ReadFile(cfg)
	checkTable(t, string(got), v3Header)
	if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600 kept", fi.Mode().Perm())
	}
	drop, _ := os.ReadFile(filepath.Join(p.HostRoot, p.DropIn))
	if !strings.Contains(string(drop), v3Header) {
		t.Errorf("drop-in:\n%s", drop)
	}
	asked := 0
	p.ContainerdMajor = func() (int, error) { asked++; return 2, nil }
	res, err = Install(p)
	if err != nil || res.Registered || len(res.Warnings) != 0 || asked != 0 {
		t.Errorf("second Install = %+v, %v; containerd asked %d times (the version line settles it)", res, err, asked)
	}
	// An unknown containerd version with an empty configuration: version 2,
	// which both containerd 1.x and 2.x read.
	p = fixture(t)
	p.Config = "/etc/containerd/config.toml"
	p.ContainerdMajor = func() (int, error) { return 0, errors.New("no containerd") }
	res, err = Install(p)
	if err != nil || res.Version != 2 || len(res.Warnings) != 1 {
		t.Errorf("unknown containerd: %+v, %v", res, err)
	}
}
