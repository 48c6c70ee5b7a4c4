// Command imgpush builds a function image with package oci and pushes it to a
// registry, for the shim's cluster scripts (hack/shim/e2e.sh): a Wasm image
// (OCI layer form, /function.wasm) from a .wasm file, or a FROM-scratch
// container image from a static binary. It prints the pushed digest.
//
//	go run ./hack/shim/imgpush -wasm f.wasm -ref 127.0.0.1:5000/fn:1
//	go run ./hack/shim/imgpush -bin fn -ref 127.0.0.1:5000/fn-native:1
//
// It does not build modules or binaries and does not serve a registry.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/faas-wasm/faas-wasm/oci"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	wasmFile := flag.String("wasm", "", "Wasm module to package (OCI layer form)")
	artifact := flag.Bool("artifact", false, "with -wasm: build the CNCF Wasm artifact form instead")
	binFile := flag.String("bin", "", "static Linux binary to package as a FROM-scratch image")
	ref := flag.String("ref", "", "image reference to push to")
	flag.Parse()
	if err := run(*wasmFile, *artifact, *binFile, *ref); err != nil {
		fmt.Fprintln(os.Stderr, "imgpush:", err)
		os.Exit(1)
	}
}

func run(wasmFile string, artifact bool, binFile, ref string) error {
	if ref == "" || (wasmFile == "") == (binFile == "") {
		return fmt.Errorf("need -ref and exactly one of -wasm or -bin")
	}
	var img v1.Image
	if wasmFile != "" {
		module, err := os.ReadFile(wasmFile)
		if err != nil {
			return err
		}
		form := oci.FormOCILayer
		if artifact {
			form = oci.FormArtifact
		}
		if img, err = oci.WasmImage(module, form); err != nil {
			return err
		}
	} else {
		binary, err := os.ReadFile(binFile)
		if err != nil {
			return err
		}
		if img, err = oci.ContainerImage(binary, oci.ContainerConfig{}); err != nil {
			return err
		}
	}
	digest, err := oci.Push(context.Background(), img, ref)
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}
