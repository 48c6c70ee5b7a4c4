// Command criclean stops and removes every pod sandbox (and so every container) known to a
// CRI runtime, through the CRI API, so that the runtime tears down pod networking (CNI DEL,
// network namespaces) and mounts the proper way before the cluster's containerd is stopped.
//
//	criclean -socket /run/faas-wasm-cluster/containerd.sock
//
// It removes no images and touches no other runtime than the one behind -socket.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	socket := flag.String("socket", "", "CRI socket path")
	timeout := flag.Duration("timeout", 2*time.Minute, "overall time limit")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "criclean: -socket is required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, err := clean(ctx, *socket)
	fmt.Printf("removed %d pod sandboxes\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "criclean:", err)
		os.Exit(1)
	}
}

// clean stops and removes all pod sandboxes; it carries on past a failing sandbox and returns
// the first error together with how many sandboxes were removed.
func clean(ctx context.Context, socket string) (int, error) {
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, fmt.Errorf("connect %s: %w", socket, err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return 0, fmt.Errorf("list pod sandboxes: %w", err)
	}
	var first error
	removed := 0
	for _, sb := range list.GetItems() {
		id := sb.GetId()
		name := sb.GetMetadata().GetNamespace() + "/" + sb.GetMetadata().GetName()
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
			first = firstErr(first, fmt.Errorf("stop sandbox %s: %w", name, err))
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
			first = firstErr(first, fmt.Errorf("remove sandbox %s: %w", name, err))
			continue
		}
		removed++
	}
	return removed, first
}

func firstErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
