//go:build reactor

package main

import (
	"bytes"
	"io"
	"os"
)

func main() {}

// faasHandle reads the stdin envelope (KEY=VALUE lines, an empty line, the
// body), sets the variables and serves the request.
//
//go:wasmexport faas_handle
func faasHandle() int32 {
	in, _ := io.ReadAll(os.Stdin)
	os.Clearenv()
	for {
		i := bytes.IndexByte(in, '\n')
		if i < 0 {
			return 90
		}
		line := in[:i]
		in = in[i+1:]
		if len(line) == 0 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte{'='})
		os.Setenv(string(k), string(v))
	}
	return int32(handle(os.Stdout, in))
}

// faasInit is the pre-initialisation hook (internal/builder/snapshot runs
// it at build time): it runs request paths once into io.Discard so the
// snapshot starts warm, including lazy initialisation such as crypto's
// self-tests.
//
//go:wasmexport faas_init
func faasInit() {
	for _, q := range []string{"do=echo", "do=aes&n=1"} {
		os.Setenv("QUERY_STRING", q)
		handle(io.Discard, []byte("warm-up"))
	}
	os.Clearenv()
	counter = 0
}
