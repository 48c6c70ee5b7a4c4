// Command hostile is the misbehaving function of the reliability tests. The
// query parameter do= picks the misbehaviour: loop (never returns), mem
// (allocates until it dies), recurse (unbounded recursion), output (writes
// 96 MiB to stdout), panic (dies with a Go panic), exit (exits with status
// 3), files (tries to read files outside its preopen) and net (calls the
// URL in ?url= through the host's HTTP module). Built with GOOS=wasip1.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/fn"
)

func init() { fn.Register(handle) }

func main() { fn.Start() }

var sink [][]byte

func handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("do") {
	case "loop":
		n := 0
		for {
			n++
		}
	case "mem":
		for {
			sink = append(sink, bytes.Repeat([]byte{1}, 1<<20))
		}
	case "recurse":
		fmt.Fprint(w, recurse(1))
	case "output":
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 96 {
			os.Stdout.Write(chunk)
		}
	case "panic":
		panic("hostile guest panics")
	case "exit":
		os.Exit(3)
	case "files":
		files(w)
	case "net":
		client := &http.Client{Transport: fn.Transport(), Timeout: 5 * time.Second}
		resp, err := client.Get(q.Get("url"))
		if err != nil {
			http.Error(w, "refused: "+err.Error(), http.StatusForbidden)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(w, "REACHED %d %s", resp.StatusCode, b)
	default:
		fmt.Fprint(w, "harmless")
	}
}

// recurse never returns: each frame holds a buffer so the stack grows fast.
func recurse(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	return recurse(n+1) + int(pad[0])
}

// files tries paths outside the preopen; it answers "LEAKED <path>: <data>"
// for any it could read and "denied <path>: <error>" for the others.
func files(w http.ResponseWriter) {
	var out strings.Builder
	for _, p := range []string{
		"/etc/passwd", "/etc/hostname", "/proc/self/environ",
		"/var/openfaas/secrets/../../../etc/passwd", "../etc/passwd", ".",
	} {
		b, err := os.ReadFile(p)
		if err == nil {
			fmt.Fprintf(&out, "LEAKED %s: %.40q\n", p, b)
			continue
		}
		fmt.Fprintf(&out, "denied %s: %v\n", p, err)
	}
	if err := os.WriteFile("/var/openfaas/secrets/planted", []byte("x"), 0o600); err == nil {
		out.WriteString("LEAKED write into the secrets preopen\n")
	} else {
		fmt.Fprintf(&out, "denied write: %v\n", err)
	}
	fmt.Fprint(w, out.String())
}
