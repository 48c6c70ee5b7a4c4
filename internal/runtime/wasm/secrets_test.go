package wasm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSecretsPreopen checks a guest's filesystem in every guest shape: a
// function with secrets reads them under /var/openfaas/secrets (fd 3,
// read-only) and lists them there; a function without secrets has no
// preopen, so no filesystem at all: reading a secret, listing the secrets
// directory and listing / fail, in each language as docs/abi.md says (Go:
// EBADF, a snapshot taken with fd 3 preopened included; wasi-libc:
// ENOTCAPABLE, and no fd 3; Rust std: no pre-opened file descriptor). The C
// and Rust SDKs' secret readers (fw_secret, faas_wasm_fn::secret) answer
// "secret NAME not found" for a secret the function does not have, with or
// without the preopen. Each probe runs twice: warm instances are reused.
func TestSecretsPreopen(t *testing.T) {
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "api-key"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	type probe struct {
		query  string
		status int
		body   string
	}
	goWith := []probe{
		{"do=secret&name=api-key", 200, "s3cr3t"},
		{"do=list&path=/var/openfaas/secrets", 200, "api-key\n"},
	}
	goWithout := []probe{
		{"do=secret&name=api-key", 404, "open /var/openfaas/secrets/api-key: Bad file number"},
		{"do=list&path=/var/openfaas/secrets", 403, "denied: open /var/openfaas/secrets: Bad file number"},
		{"do=list&path=/", 403, "denied: open /: Bad file number"},
	}
	const noFd = "failed to find a pre-opened file descriptor through which "
	guests := []struct {
		name          string
		guest         func(testing.TB) []byte
		mode          Mode
		with, without []probe
	}{
		{"go-command", func(testing.TB) []byte { return cmdGuest }, ModeFresh, goWith, goWithout},
		{"go-reactor-fresh", func(testing.TB) []byte { return reactorGuest }, ModeFresh, goWith, goWithout},
		{"go-reactor-warm", func(testing.TB) []byte { return reactorGuest }, ModeWarm, goWith, goWithout},
		{"go-snapshot-fresh", snapshotGuestT, ModeFresh, goWith, goWithout},
		{"go-snapshot-warm", snapshotGuestT, ModeWarm, goWith, goWithout},
		{"c", func(testing.TB) []byte { return cGuest }, ModeFresh, []probe{
			{"read=/var/openfaas/secrets/api-key", 200, "s3cr3t"},
			{"list=/var/openfaas/secrets", 200, "api-key\n"},
			{"do=preopens", 200, "3=/var/openfaas/secrets\npreopens=1\n"},
			{"secret=api-key", 200, "s3cr3t"},
			{"secret=missing", 404, "secret missing not found"},
		}, []probe{
			{"read=/var/openfaas/secrets/api-key", 403, "open /var/openfaas/secrets/api-key failed: Capabilities insufficient\n"},
			{"list=/var/openfaas/secrets", 403, "opendir /var/openfaas/secrets failed: Capabilities insufficient\n"},
			{"list=/", 403, "opendir / failed: Capabilities insufficient\n"},
			{"do=preopens", 200, "preopens=0\n"},
			{"secret=api-key", 404, "secret api-key not found"},
		}},
		{"rust", rustSecretsGuestT, ModeFresh, []probe{
			{"name=api-key", 200, "s3cr3t"},
			{"list=/var/openfaas/secrets", 200, "api-key"},
			{"name=missing", 404, "secret missing not found"},
		}, []probe{
			{"name=api-key", 404, "secret api-key not found"},
			{"list=/var/openfaas/secrets", 404, "list /var/openfaas/secrets: " + noFd + `"/var/openfaas/secrets" could be opened`},
			{"list=/", 404, "list /: " + noFd + `"/" could be opened`},
		}},
		{"rust warm reactor", rustSecretsReactorT, ModeWarm, []probe{
			{"name=api-key", 200, "s3cr3t"},
			{"list=/var/openfaas/secrets", 200, "api-key"},
			{"name=missing", 404, "secret missing not found"},
		}, []probe{
			{"name=api-key", 404, "secret api-key not found"},
			{"list=/var/openfaas/secrets", 404, "list /var/openfaas/secrets: " + noFd + `"/var/openfaas/secrets" could be opened`},
			{"list=/", 404, "list /: " + noFd + `"/" could be opened`},
		}},
	}
	for _, g := range guests {
		for _, c := range []struct {
			name, dir string
			probes    []probe
		}{{"with secrets", secrets, g.with}, {"without secrets", "", g.without}} {
			t.Run(g.name+"/"+c.name, func(t *testing.T) {
				f := deploy(t, g.guest(t), Config{Mode: g.mode, MaxConcurrency: 1, SecretsDir: c.dir})
				for range 2 {
					for _, p := range c.probes {
						resp, err := call(f, p.query, "")
						if err != nil {
							t.Fatalf("%s: %v", p.query, err)
						}
						if resp.Status != p.status || string(resp.Body) != p.body {
							t.Errorf("%s: %d %q, want %d %q", p.query, resp.Status, resp.Body, p.status, p.body)
						}
					}
				}
			})
		}
	}
}
