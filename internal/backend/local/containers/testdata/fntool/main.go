// Command fntool is the function program of local/containers' test images.
// Build: CGO_ENABLED=0 go build -o fntool ./testdata/fntool
//
//	fntool             copy stdin to stdout (an echo function); when the
//	                   watchdog passes Http_Query "mode=M&arg=A", act as
//	                   "fntool M A" instead
//	fntool read PATH   print the file at PATH
//	fntool write PATH  try to create PATH; print "wrote" or the error
//	fntool env KEY     print the value of environment variable KEY
//	fntool resolve H   print the addresses host name H resolves to
//	fntool get URL     print the body of GET URL, or the error
//	fntool stderr MSG  print MSG on stderr, then echo stdin
//	fntool exit N      print "exiting N" on stderr and exit with status N
//	fntool sleep       block forever (a server that never opens its port)
//	fntool unhealthy   serve 503 on :8080 for every path (a failing health check)
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		q, _ := url.ParseQuery(os.Getenv("Http_Query"))
		if q.Get("mode") == "" {
			io.Copy(os.Stdout, os.Stdin)
			return
		}
		args = []string{q.Get("mode"), q.Get("arg")}
	}
	arg := ""
	if len(args) > 1 {
		arg = args[1]
	}
	switch args[0] {
	case "read":
		b, err := os.ReadFile(arg)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		os.Stdout.Write(b)
	case "write":
		if err := os.WriteFile(arg, []byte("x"), 0o644); err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println("wrote")
	case "env":
		fmt.Print(os.Getenv(arg))
	case "resolve":
		addrs, err := net.LookupHost(arg)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Print(strings.Join(addrs, ","))
	case "get":
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get(arg)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		defer resp.Body.Close()
		io.Copy(os.Stdout, resp.Body)
	case "stderr":
		fmt.Fprintln(os.Stderr, arg)
		io.Copy(os.Stdout, os.Stdin)
	case "exit":
		n, _ := strconv.Atoi(arg)
		fmt.Fprintln(os.Stderr, "exiting", n)
		os.Exit(n)
	case "unhealthy":
		err := http.ListenAndServe(":8080", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}))
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	case "sleep":
		for {
			time.Sleep(time.Hour)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", args[0])
		os.Exit(2)
	}
}
