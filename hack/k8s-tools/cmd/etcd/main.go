// Command etcd is the etcd server (go.etcd.io/etcd/server/v3) built from the Go module proxy for
// the test cluster. It adds nothing to upstream: it only calls etcdmain.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
