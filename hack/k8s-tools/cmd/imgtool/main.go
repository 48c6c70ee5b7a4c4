// Command imgtool packages a static Linux binary as a single-layer OCI image and serves a
// throwaway image registry, for the test cluster (no Docker engine, no public registry).
//
//	imgtool tar      -bin FILE -ref NAME:TAG -out FILE.tar   write a docker-archive tar (for `ctr images import`)
//	imgtool push     -bin FILE -ref HOST:PORT/NAME:TAG       push over plain HTTP to a loopback registry
//	imgtool registry -addr 127.0.0.1:PORT                    serve an in-memory registry until SIGTERM
//
// It builds only images with one binary as entrypoint; it does not build from Dockerfiles, and
// it refuses to push to or serve on anything but a loopback address.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "imgtool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: imgtool tar|push|registry [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	bin := fs.String("bin", "", "static Linux binary to package as the image entrypoint")
	ref := fs.String("ref", "", "image reference")
	out := fs.String("out", "", "output tar file (tar)")
	port := fs.Int("port", 0, "port the image exposes (0: none)")
	addr := fs.String("addr", "127.0.0.1:5000", "listen address (registry)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "tar":
		if *bin == "" || *ref == "" || *out == "" {
			return fmt.Errorf("tar needs -bin, -ref and -out")
		}
		return writeTar(*bin, *ref, *out, *port)
	case "push":
		if *bin == "" || *ref == "" {
			return fmt.Errorf("push needs -bin and -ref")
		}
		digest, err := push(ctx, *bin, *ref, *port)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, digest)
		return nil
	case "registry":
		return serveRegistry(ctx, *addr, stdout)
	default:
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}
