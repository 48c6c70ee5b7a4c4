// Command reactor is the test module of package snapshot, built with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. Its state shows which
// initialisation ran before a snapshot was taken; its initialisation reads
// random bytes and clocks (map hash seeds, math/rand, time.Now), which a
// snapshot must fix.
package main

import (
	"math/rand/v2"
	"os"
	"time"
)

var (
	state   int
	started time.Time
	seen    = map[string]int{}
	lucky   = rand.Int64()
)

func init() {
	state = 42
	started = time.Now()
	seen["init"] = int(lucky % 7)
}

// faasHandle reports the state: 42 after _initialize, 43 after faas_init
// too.
//
//go:wasmexport faas_handle
func faasHandle() int32 { return int32(state) }

// faasInit is the init function a snapshot runs after _initialize.
//
//go:wasmexport faas_init
func faasInit() {
	time.Sleep(time.Millisecond)
	state++
}

// faasSecret returns the length of the secret file
// /var/openfaas/secrets/s, or -1 when it cannot be read: the Go runtime
// records the preopened directories while it initialises, so a snapshot
// reads it only if the same directory was preopened when it was taken.
//
//go:wasmexport faas_secret
func faasSecret() int32 {
	b, err := os.ReadFile("/var/openfaas/secrets/s")
	if err != nil {
		return -1
	}
	return int32(len(b))
}

func main() {}
