package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// routeURL turns a route template into a concrete path for tests.
func routeURL(r Route) string {
	p := strings.NewReplacer("{name}", "echo", "{ns}", "dev").Replace(r.Path)
	if r.Prefix {
		p += "echo"
	}
	return p
}

// TestRouteTableAuth makes sure no /system or /ui (console) route can be
// added without auth and that the open routes are exactly /healthz,
// /metrics (open as the OpenFaaS gateway's metrics port is), /function/
// and /async-function/ (open on the gateway too).
func TestRouteTableAuth(t *testing.T) {
	if len(Routes()) < 20 {
		t.Fatalf("only %d routes", len(Routes()))
	}
	for _, r := range Routes() {
		system := strings.HasPrefix(r.Path, "/system/") || r.Path == "/ui" || strings.HasPrefix(r.Path, "/ui/")
		if system != r.Auth {
			t.Errorf("route %s %s %s: Auth=%v, want %v", r.Name, r.Method, r.Path, r.Auth, system)
		}
		if !system && r.Path != "/healthz" && r.Path != "/metrics" && r.Path != "/function/" && r.Path != "/async-function/" {
			t.Errorf("unexpected open route %s %s", r.Method, r.Path)
		}
	}
}

// TestBasicAuthOverRoutes calls every route of Routes() with no, wrong and
// right credentials.
func TestBasicAuthOverRoutes(t *testing.T) {
	creds := &Credentials{User: "admin", Password: "pa55word"}
	e := newEnv(t, Config{Auth: creds})
	e.deploy("echo", "", nil)
	for _, r := range Routes() {
		method := r.Method
		if method == "" {
			method = http.MethodGet
		}
		for _, c := range []struct {
			name       string
			user, pass string
			send       bool
			want401    bool
		}{
			{"no credentials", "", "", false, r.Auth},
			{"wrong password", "admin", "nope", true, r.Auth},
			{"wrong user", "root", "pa55word", true, r.Auth},
			{"password as prefix", "admin", "pa55", true, r.Auth},
			{"empty", "", "", true, r.Auth},
			{"right", "admin", "pa55word", true, false},
		} {
			t.Run(r.Name+"/"+c.name, func(t *testing.T) {
				req, err := http.NewRequest(method, e.srv.URL+routeURL(r), strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				if c.send {
					req.SetBasicAuth(c.user, c.pass)
				}
				resp, err := e.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.StatusCode == http.StatusUnauthorized; got != c.want401 {
					t.Fatalf("%s %s = %d, want 401: %v", method, routeURL(r), resp.StatusCode, c.want401)
				}
				if c.want401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="Restricted"` {
					t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	if strings.Contains(e.log.String(), "pa55word") {
		t.Fatal("password in logs")
	}
}

func TestReadCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, user, pass string
		wantUser, wantPw string
		err              bool
	}{
		{"plain", "admin", "secret", "admin", "secret", false},
		{"trailing newline", "admin\n", "secret\r\n", "admin", "secret", false},
		{"inner spaces kept", "ad min", " s e ", "ad min", " s e ", false},
		{"empty password", "admin", "\n", "", "", true},
		{"missing user", "", "secret", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.user != "" {
				if err := os.WriteFile(filepath.Join(dir, UserFile), []byte(tc.user), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, PasswordFile), []byte(tc.pass), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := ReadCredentials(dir)
			if tc.err {
				if err == nil {
					t.Fatalf("ReadCredentials = %v, want an error", c)
				}
				return
			}
			if err != nil || c.User != tc.wantUser || c.Password != tc.wantPw {
				t.Fatalf("ReadCredentials = %+v, %v", c, err)
			}
			var logged strings.Builder
			slog.New(slog.NewTextHandler(&logged, nil)).Info("creds", "c", c, "v", *c)
			for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, *c, *c, c), logged.String()} {
				if strings.Contains(s, tc.wantPw) || !strings.Contains(s, tc.wantUser) {
					t.Fatalf("formatted credentials leak the password or lose the user: %s", s)
				}
			}
		})
	}
}
