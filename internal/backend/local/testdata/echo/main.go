// Command echo is the Wasm function the local backend's integration tests
// deploy. Build: GOOS=wasip1 GOARCH=wasm go build -o echo.wasm .
//
// It answers by path (PATH_INFO):
//   - /secret/NAME: the content of /var/openfaas/secrets/NAME;
//   - /secrets: the names in /var/openfaas/secrets, one a line, or 404 and
//     the error when it cannot be listed;
//   - /fail: writes a line to stderr and exits with code 3;
//   - /spin: loops until the host stops it;
//   - /alloc/N: allocates and touches N MiB, one at a time, then answers
//     "allocated N MiB";
//   - anything else: "GREETING=<env> METHOD=<method> QUERY=<query> BODY=<body>",
//     with a CGI header block setting status 201 and X-Echo, and a log line
//     on stderr.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	path := os.Getenv("PATH_INFO")
	switch {
	case strings.HasPrefix(path, "/secret/"):
		data, err := os.ReadFile("/var/openfaas/secrets/" + strings.TrimPrefix(path, "/secret/"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "secret:", err)
			os.Exit(4)
		}
		os.Stdout.Write(data)
	case path == "/secrets":
		entries, err := os.ReadDir("/var/openfaas/secrets")
		if err != nil {
			fmt.Printf("Status: 404\nContent-Type: text/plain\n\n%v", err)
			return
		}
		fmt.Print("Content-Type: text/plain\n\n")
		for _, e := range entries {
			fmt.Println(e.Name())
		}
	case path == "/fail":
		fmt.Fprintln(os.Stderr, "failing on purpose")
		os.Exit(3)
	case strings.HasPrefix(path, "/alloc/"):
		n, err := strconv.Atoi(strings.TrimPrefix(path, "/alloc/"))
		if err != nil {
			os.Exit(5)
		}
		var chunks [][]byte
		for range n {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i)
			}
			chunks = append(chunks, b)
		}
		fmt.Printf("allocated %d MiB", len(chunks))
	case path == "/spin":
		for n := 0; ; n++ {
			if n < 0 {
				fmt.Println(n)
			}
		}
	default:
		body, _ := io.ReadAll(os.Stdin)
		fmt.Fprintf(os.Stderr, "echoing %d bytes\n", len(body))
		fmt.Print("Status: 201 Created\nX-Echo: yes\nContent-Type: text/plain\n\n")
		fmt.Printf("GREETING=%s METHOD=%s QUERY=%s BODY=%s", os.Getenv("GREETING"),
			os.Getenv("REQUEST_METHOD"), os.Getenv("QUERY_STRING"), body)
	}
}
