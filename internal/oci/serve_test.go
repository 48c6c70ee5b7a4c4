package oci

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// startMain runs Main with args until the test ends and returns the
// host:port it printed.
func startMain(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Main(ctx, args, pw)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("registry did not stop")
		}
	}
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading Main's output: %v (Main: %v)", err, stop())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Main: %v", err)
		}
	})
	addr, _, ok := strings.Cut(strings.TrimPrefix(line, "registry listening on http://"), " ")
	if !ok {
		t.Fatalf("unexpected output %q", line)
	}
	return addr
}

func TestServeRegistryPersists(t *testing.T) {
	dir := t.TempDir()
	module := testModule(t)
	var refs []string
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		img, err := WasmImage(module, form)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, "fn/"+form.String()+":v1")
		t.Run("push "+form.String(), func(t *testing.T) {
			addr := startMain(t, "--addr", "127.0.0.1:0", "--dir", dir)
			mustPush(t, img, addr+"/"+refs[len(refs)-1])
		})
	}
	// Deleting a tag is journaled too.
	t.Run("delete tag", func(t *testing.T) {
		addr := startMain(t, "--addr", "127.0.0.1:0", "--dir", dir)
		mustPush(t, mustWasm(t, []byte("\x00asm\x01\x00\x00\x00"), FormArtifact), addr+"/fn/gone:v1")
		req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/v2/fn/gone/manifests/v1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delete answered %d", resp.StatusCode)
		}
	})
	addr := startMain(t, "--addr", "127.0.0.1:0", "--dir", dir)
	for _, ref := range refs {
		t.Run("after restart "+ref, func(t *testing.T) {
			got, err := PullWasm(testCtx(t), addr+"/"+ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Module, module) {
				t.Fatal("module differs after restart")
			}
		})
	}
	t.Run("deleted tag stays deleted", func(t *testing.T) {
		if _, _, err := Inspect(testCtx(t), addr+"/fn/gone:v1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func mustWasm(t *testing.T, module []byte, form WasmForm) v1.Image {
	t.Helper()
	img, err := WasmImage(module, form)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestMainFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		out     string
	}{
		{"help", []string{"--help"}, false, "Usage: faas-wasm registry"},
		{"unknown flag", []string{"--nope"}, true, "flag provided but not defined"},
		{"extra argument", []string{"extra"}, true, ""},
		{"bad address", []string{"--addr", "127.0.0.1:99999"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Main(testCtx(t), tt.args, &out)
			if (err != nil) != tt.wantErr || !strings.Contains(out.String(), tt.out) {
				t.Fatalf("err %v, output %q", err, out.String())
			}
		})
	}
}

func TestBasicAuth(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "fn" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := WasmImage(testModule(t), FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/fn/private:v1"
	if _, err := Push(testCtx(t), img, ref); !errors.Is(err, provider.ErrImage) || errors.Is(err, ErrNotFound) {
		t.Fatalf("push without credentials: %v", err)
	}
	if _, err := Push(testCtx(t), img, ref, WithBasicAuth("fn", "s3cret")); err != nil {
		t.Fatal(err)
	}
	if _, err := PullWasm(testCtx(t), ref, WithBasicAuth("fn", "wrong")); !errors.Is(err, provider.ErrImage) {
		t.Fatalf("pull with wrong password: %v", err)
	}
	if _, err := PullWasm(testCtx(t), ref, WithBasicAuth("fn", "s3cret")); err != nil {
		t.Fatal(err)
	}
}
