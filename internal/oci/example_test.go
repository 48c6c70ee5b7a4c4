package oci_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/google/go-containerregistry/pkg/registry"
)

// A Wasm function image is built, pushed to a loopback registry, recognised
// as Wasm and pulled back.
func Example() {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/fn/hello:v1"
	ctx := context.Background()

	module := []byte("\x00asm\x01\x00\x00\x00") // an empty module
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := oci.Push(ctx, img, ref); err != nil {
		log.Fatal(err)
	}
	kind, info, err := oci.Inspect(ctx, ref)
	if err != nil {
		log.Fatal(err)
	}
	pulled, err := oci.PullWasm(ctx, ref)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(kind, info.Platform, info.Form, len(pulled.Module))
	// Output: wasm wasip1/wasm oci-layer 8
}
