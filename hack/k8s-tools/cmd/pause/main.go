// Command pause is the test cluster's pod sandbox image entrypoint: it holds the pod's
// namespaces by sleeping until SIGTERM or SIGINT, then exits 0. It reaps nothing and starts
// nothing; it is not a general init process.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
