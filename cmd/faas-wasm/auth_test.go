package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
)

// status sends an empty request with optional basic auth and returns the status.
func status(t *testing.T, method, url, user, password string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// concretePath fills the route template's variables.
func concretePath(path string) string {
	return strings.NewReplacer("{name}", "nothing", "{ns}", "openfaas-fn").Replace(path)
}

// TestEndToEndDefaultAuth: with no flag about auth and nothing mounted, the
// first start generates admin + a random password into
// <state-dir>/credentials (0700, files 0600), logs the password file's path
// once and never the password, and every /system route of the route table
// answers 401 without them and not 401 with them. A restart on the same
// state dir keeps the same credentials and generates nothing.
func TestEndToEndDefaultAuth(t *testing.T) {
	state := t.TempDir()
	noMount := []string{"--secret-mount-path", filepath.Join(state, "no-secrets")}
	p := startProvider(t, state, noMount...)
	dir := filepath.Join(state, credentials.DirName)
	pwFile := filepath.Join(dir, handlers.PasswordFile)
	must(t, p.user == credentials.GeneratedUser && len(p.password) >= 32, "generated credentials %q / %d characters", p.user, len(p.password))
	for path, want := range map[string]os.FileMode{dir: 0o700, pwFile: 0o600, filepath.Join(dir, handlers.UserFile): 0o600} {
		fi, err := os.Stat(path)
		must(t, err == nil && fi.Mode().Perm() == want, "%s: %v %v, want %v", path, err, fi.Mode(), want)
	}

	routes := 0
	for _, r := range handlers.Routes() {
		if !r.Auth {
			continue
		}
		routes++
		url := p.url + concretePath(r.Path)
		must(t, status(t, r.Method, url, "", "") == http.StatusUnauthorized, "%s %s without credentials is not 401", r.Method, r.Path)
		must(t, status(t, r.Method, url, p.user, "wrong") == http.StatusUnauthorized, "%s %s with a wrong password is not 401", r.Method, r.Path)
		got := status(t, r.Method, url, p.user, p.password)
		must(t, got != http.StatusUnauthorized, "%s %s with the generated credentials = 401", r.Method, r.Path)
	}
	must(t, routes >= 15, "only %d /system routes in the route table", routes)
	for _, path := range []string{"/system/functions", "/system/info", "/system/namespaces", "/system/secrets"} {
		must(t, status(t, http.MethodGet, p.url+path, p.user, p.password) == http.StatusOK, "GET %s with credentials is not 200", path)
	}
	must(t, status(t, http.MethodGet, p.url+"/healthz", "", "") == http.StatusOK, "/healthz asks for credentials")
	must(t, status(t, http.MethodGet, p.url+"/function/none", "", "") == http.StatusNotFound, "/function/ asks for credentials")

	logs := p.logs.String()
	t.Logf("log line: %s", lineWith(logs, "generated basic-auth credentials"))
	must(t, strings.Count(logs, "generated basic-auth credentials") == 1 && strings.Count(logs, pwFile) == 1,
		"want the password file named once in the log:\n%s", logs)
	must(t, !strings.Contains(logs, p.password), "password in the log")
	must(t, strings.Contains(logs, "auth=generated"), "serving line without auth=generated:\n%s", logs)
	p.stop()

	again := startProvider(t, state, noMount...)
	must(t, again.user == p.user && again.password == p.password, "credentials changed across a restart")
	must(t, status(t, http.MethodGet, again.url+"/system/functions", p.user, p.password) == http.StatusOK, "old credentials refused after a restart")
	logs = again.logs.String()
	must(t, !strings.Contains(logs, "generated basic-auth") && !strings.Contains(logs, pwFile) && !strings.Contains(logs, p.password),
		"restart logged the generation, the path or the password:\n%s", logs)
	must(t, strings.Contains(logs, "auth=state-dir"), "serving line without auth=state-dir:\n%s", logs)
}

// TestEndToEndMountedAuthWins: credentials under --secret-mount-path are
// used (without --basic-auth too) instead of generated ones.
func TestEndToEndMountedAuthWins(t *testing.T) {
	state, secrets := t.TempDir(), t.TempDir()
	p := startProvider(t, state, "--secret-mount-path", filepath.Join(state, "none"))
	p.stop()
	must(t, os.WriteFile(filepath.Join(secrets, handlers.UserFile), []byte("ops"), 0o600) == nil, "write user")
	must(t, os.WriteFile(filepath.Join(secrets, handlers.PasswordFile), []byte("m0unted"), 0o600) == nil, "write password")
	p = startProvider(t, state, "--secret-mount-path", secrets)
	must(t, status(t, http.MethodGet, p.url+"/system/info", "ops", "m0unted") == http.StatusOK, "mounted credentials refused")
	gen, err := handlers.ReadCredentials(filepath.Join(state, credentials.DirName))
	must(t, err == nil, "read generated: %v", err)
	must(t, status(t, http.MethodGet, p.url+"/system/info", gen.User, gen.Password) == http.StatusUnauthorized, "generated credentials accepted beside mounted ones")
	must(t, strings.Contains(p.logs.String(), "auth=secret-mount"), "serving line without auth=secret-mount")
}

// TestEndToEndNoAuth: --insecure-no-auth serves /system/* openly on a
// loopback address and is refused, before anything starts, on any other.
func TestEndToEndNoAuth(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0"} {
		t.Run(addr, func(t *testing.T) {
			state := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, binPath, "--addr", addr, "--insecure-no-auth", "--state-dir", state,
				"--containerd-socket", filepath.Join(state, "none.sock")).CombinedOutput()
			must(t, err != nil, "provider started with --insecure-no-auth on %s:\n%s", addr, out)
			must(t, strings.Contains(string(out), "--insecure-no-auth is only allowed on a loopback address"), "unclear refusal:\n%s", out)
			t.Logf("refusal: %s", strings.TrimSpace(string(out)))
		})
	}
	state := t.TempDir()
	p := startProvider(t, state, "--insecure-no-auth")
	must(t, status(t, http.MethodGet, p.url+"/system/functions", "", "") == http.StatusOK, "--insecure-no-auth on loopback still asks for credentials")
	must(t, strings.Contains(p.logs.String(), "basic auth is off") && strings.Contains(p.logs.String(), "auth=off"), "no warning:\n%s", p.logs.String())
	_, err := os.Stat(filepath.Join(state, credentials.DirName))
	must(t, os.IsNotExist(err), "credentials generated with auth off: %v", err)
}

func lineWith(text, part string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}
