package registry

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// startRegistry serves a registry storing under dir (empty: in memory) on
// a loopback port until the test ends and returns its host:port.
func startRegistry(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, dir) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("registry did not stop")
		}
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("registry: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestServeRegistryPersists(t *testing.T) {
	dir := t.TempDir()
	module := []byte("\x00asm\x01\x00\x00\x00")
	var refs []string
	for _, form := range []oci.WasmForm{oci.FormOCILayer, oci.FormArtifact} {
		img, err := oci.WasmImage(module, form)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, "fn/"+form.String()+":v1")
		t.Run("push "+form.String(), func(t *testing.T) {
			addr := startRegistry(t, dir)
			mustPush(t, img, addr+"/"+refs[len(refs)-1])
		})
	}
	// Deleting a tag is journaled too.
	t.Run("delete tag", func(t *testing.T) {
		addr := startRegistry(t, dir)
		mustPush(t, mustWasm(t, module, oci.FormArtifact), addr+"/fn/gone:v1")
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
	addr := startRegistry(t, dir)
	for _, ref := range refs {
		t.Run("after restart "+ref, func(t *testing.T) {
			got, err := oci.PullWasm(testCtx(t), addr+"/"+ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Module, module) {
				t.Fatal("module differs after restart")
			}
		})
	}
	t.Run("deleted tag stays deleted", func(t *testing.T) {
		if _, _, err := oci.Inspect(testCtx(t), addr+"/fn/gone:v1"); !errors.Is(err, oci.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func mustWasm(t *testing.T, module []byte, form oci.WasmForm) v1.Image {
	t.Helper()
	img, err := oci.WasmImage(module, form)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mustPush(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	if _, err := oci.Push(testCtx(t), img, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
