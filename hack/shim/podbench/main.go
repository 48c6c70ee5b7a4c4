// Command podbench measures Wasm pods (RuntimeClass faas-wasm, this node's
// shim) against container pods of the same function on a real cluster
// (hack/shim/e2e.sh runs it on hack/cluster's node): per round and kind, a
// one-replica Deployment is created and timed to the first 200 from its pod
// IP, its pod is deleted and the replacement timed to its first 200, and the
// RSS of the pod's processes and their shims is read from /proc. It prints
// each round and the medians.
//
// It runs on the node itself (it reads /proc and the pods' cgroups) and
// needs root; it does not build or push images.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	ns := flag.String("namespace", "shim-bench", "namespace to create and use")
	wasmImage := flag.String("wasm-image", "", "Wasm image of the function")
	nativeImage := flag.String("native-image", "", "container image of the same function")
	path := flag.String("path", "/?n=100", "invocation path and query")
	rounds := flag.Int("rounds", 20, "rounds per kind")
	flag.Parse()
	if err := run(*kubeconfig, *ns, *wasmImage, *nativeImage, *path, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "podbench:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, wasmImage, nativeImage, path string, rounds int) error {
	if wasmImage == "" || nativeImage == "" {
		return fmt.Errorf("need -wasm-image and -native-image")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b := &bench{cs: cs, ns: ns, path: path}
	if err := b.ensureNamespace(ctx); err != nil {
		return err
	}
	defer b.deleteNamespace()
	kinds := []kind{{"wasm", wasmImage, "faas-wasm"}, {"container", nativeImage, ""}}
	results := map[string]*series{}
	for _, k := range kinds {
		results[k.name] = &series{}
		// Warm-up round (image pull, module compile on the node): not counted.
		if _, err := b.round(ctx, k, "warm"); err != nil {
			return fmt.Errorf("%s warm-up: %w", k.name, err)
		}
	}
	for i := 0; i < rounds; i++ {
		for _, k := range kinds {
			r, err := b.round(ctx, k, fmt.Sprint(i))
			if err != nil {
				return fmt.Errorf("%s round %d: %w", k.name, i, err)
			}
			results[k.name].add(r)
			fmt.Printf("%-9s round %2d: deploy→200 %6.0f ms  pod-delete→200 %6.0f ms  RSS pod %5.1f MiB + shims %5.1f MiB\n",
				k.name, i, r.deploy.Seconds()*1000, r.replace.Seconds()*1000, r.podRSS, r.shimRSS)
		}
	}
	fmt.Printf("\nmedians over %d rounds (path %s):\n", rounds, path)
	for _, k := range kinds {
		s := results[k.name]
		fmt.Printf("%-9s deploy→200 %6.0f ms  pod-delete→200 %6.0f ms  RSS pod %5.1f MiB + shims %5.1f MiB = %5.1f MiB\n",
			k.name, median(s.deploy), median(s.replace), median(s.podRSS), median(s.shimRSS), median(s.podRSS)+median(s.shimRSS))
	}
	return nil
}
