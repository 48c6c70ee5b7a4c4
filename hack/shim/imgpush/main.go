// Command imgpush builds a function image with package oci and pushes it to a
// registry, for the shim's cluster scripts (hack/shim/e2e.sh): a Wasm image
// (OCI layer form, /function.wasm) from a .wasm file, or a FROM-scratch
// container image from a static binary. It prints the pushed digest.
//
//	go run ./hack/shim/imgpush -wasm f.wasm -ref 127.0.0.1:5000/fn:1
//	go run ./hack/shim/imgpush -bin fn -ref 127.0.0.1:5000/fn-native:1
//	go run ./hack/shim/imgpush -installer DIR -ref 127.0.0.1:5000/faas-wasm/node-installer:1
//
// The node-installer image (-installer) runs DIR/nodeinstaller and carries
// DIR/containerd-shim-faaswasm-v1 and DIR/faaswasm-runner in /opt/faas-wasm.
//
// It does not build modules or binaries and does not serve a registry.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	wasmFile := flag.String("wasm", "", "Wasm module to package (OCI layer form)")
	artifact := flag.Bool("artifact", false, "with -wasm: build the CNCF Wasm artifact form instead")
	binFile := flag.String("bin", "", "static Linux binary to package as a FROM-scratch image")
	installerDir := flag.String("installer", "", "directory with nodeinstaller and the shim binaries: build the node-installer image")
	ref := flag.String("ref", "", "image reference to push to")
	flag.Parse()
	var err error
	if *installerDir != "" {
		err = pushInstaller(*installerDir, *ref)
	} else {
		err = run(*wasmFile, *artifact, *binFile, *ref)
	}
	if err != nil {
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

func pushInstaller(dir, ref string) error {
	if ref == "" {
		return fmt.Errorf("need -ref")
	}
	entry, err := os.ReadFile(filepath.Join(dir, "nodeinstaller"))
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, b := range []string{"containerd-shim-faaswasm-v1", "faaswasm-runner"} {
		data, err := os.ReadFile(filepath.Join(dir, b))
		if err != nil {
			return err
		}
		files["/opt/faas-wasm/"+b] = data
	}
	img, err := oci.ContainerImage(entry, oci.ContainerConfig{Files: files, ExposedPorts: []string{}})
	if err != nil {
		return err
	}
	digest, err := oci.Push(context.Background(), img, ref)
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}
