// Command guest is the Go test guest of runtime/wasm. Built as a command
// (default) it serves one request from its CGI environment and stdin; built
// with -tags reactor -buildmode=c-shared it exports faas_handle and reads the
// request from the stdin envelope of docs/abi.md. The query parameter "do"
// selects a behaviour, including hostile ones.
package main

import (
	"crypto/aes"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	initTime = time.Now()
	counter  int
	hoard    [][]byte
)

// handle serves one request; the return value is the exit code.
func handle(w io.Writer, body []byte) int {
	q, _ := url.ParseQuery(os.Getenv("QUERY_STRING"))
	counter++
	switch q.Get("do") {
	case "", "echo":
		fmt.Fprintf(w, "Content-Type: application/octet-stream\nX-Path: %s\nX-Method: %s\nX-Call-Id: %s\nX-Cgi-Call-Id: %s\nX-Fn-Env: %s\nX-Content-Length: %s\nX-Query: %s\n\n",
			os.Getenv("Http_Path"), os.Getenv("REQUEST_METHOD"), os.Getenv("Http_X_Call_Id"),
			os.Getenv("HTTP_X_CALL_ID"), os.Getenv("MY_VAR"), os.Getenv("CONTENT_LENGTH"), os.Getenv("QUERY_STRING"))
		w.Write(body)
	case "env":
		env := os.Environ()
		sort.Strings(env)
		fmt.Fprintln(w, strings.Join(env, "\n"))
	case "status":
		fmt.Fprint(w, "Status: 201 Created\r\nLocation: /items/1\r\n\r\ncreated")
	case "log":
		fmt.Fprintln(os.Stderr, "first line")
		fmt.Fprintln(os.Stderr, "second line")
		fmt.Fprint(w, "logged")
	case "exit":
		code, _ := strconv.Atoi(q.Get("code"))
		fmt.Fprintln(os.Stderr, "exiting with", code)
		return code
	case "secret":
		b, err := os.ReadFile("/var/openfaas/secrets/" + q.Get("name"))
		if err != nil {
			fmt.Fprintf(w, "Status: 404\n\n%v", err)
			return 0
		}
		w.Write(b)
	case "readfile":
		b, err := os.ReadFile(q.Get("path"))
		if err != nil {
			fmt.Fprintf(w, "Status: 403\n\ndenied: %v", err)
			return 0
		}
		w.Write(b)
	case "list":
		ents, err := os.ReadDir(q.Get("path"))
		if err != nil {
			fmt.Fprintf(w, "Status: 403\n\ndenied: %v", err)
			return 0
		}
		for _, e := range ents {
			fmt.Fprintln(w, e.Name())
		}
	case "writefile":
		if err := os.WriteFile(q.Get("path"), []byte("x"), 0o644); err != nil {
			fmt.Fprintf(w, "Status: 403\n\ndenied: %v", err)
			return 0
		}
		fmt.Fprint(w, "written")
	case "fetch":
		status, resp, err := fetch(q.Get("url"))
		if err != nil {
			fmt.Fprintf(w, "Status: 502\n\n%v", err)
			return 0
		}
		fmt.Fprintf(w, "X-Upstream-Status: %d\n\n%s", status, resp)
	case "counter":
		fmt.Fprint(w, counter)
	case "clock":
		fmt.Fprintf(w, "%d", time.Since(initTime).Nanoseconds())
	case "sleep":
		ms, _ := strconv.Atoi(q.Get("ms"))
		done := make(chan struct{})
		go func() { time.Sleep(time.Duration(ms) * time.Millisecond); close(done) }()
		<-done
		runtime.GC()
		fmt.Fprint(w, "slept")
	case "aes":
		n, _ := strconv.Atoi(q.Get("n"))
		fmt.Fprint(w, aesLoop(n))
	case "touch":
		kb, _ := strconv.Atoi(q.Get("kb"))
		fmt.Fprint(w, touch(kb))
	case "loop":
		for {
			counter++
		}
	case "bomb":
		for {
			b := make([]byte, 1<<20)
			b[0] = 1
			hoard = append(hoard, b)
		}
	case "recurse":
		return recurse(0)
	case "bigout":
		chunk := make([]byte, 64<<10)
		for i := 0; i < 1<<14; i++ {
			w.Write(chunk)
		}
	case "logflood":
		line := []byte(strings.Repeat("log ", 1<<14) + "\n")
		for {
			os.Stderr.Write(line)
		}
	case "panic":
		panic("guest panicked on purpose")
	default:
		fmt.Fprintf(w, "Status: 400\n\nunknown do=%q", q.Get("do"))
	}
	return 0
}

func recurse(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[0])
}

// aesLoop encrypts a block n times with AES-128 and returns it in hex; the
// benchmarks run the same code natively.
func aesLoop(n int) string {
	c, _ := aes.NewCipher([]byte("0123456789abcdef"))
	block := make([]byte, 16)
	for i := 0; i < n; i++ {
		c.Encrypt(block, block)
	}
	return hex.EncodeToString(block)
}

// touch allocates kb KiB and writes every 4 KiB page of it, the way a
// handler's working set grows its heap; it returns the sum of a byte per page.
func touch(kb int) int {
	b := make([]byte, kb<<10)
	sum := 0
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(i >> 12)
		sum += int(b[i])
	}
	return sum
}
