// Command guest is the shim tests' Wasm function: a WASI command module
// (GOOS=wasip1 GOARCH=wasm go build) whose behaviour depends on the path.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	switch os.Getenv("Http_Path") {
	case "/echo":
		os.Stdout.Write(body)
	case "/env":
		fmt.Print(os.Getenv("GREETING"))
	case "/secret":
		b, err := os.ReadFile("/var/openfaas/secrets/token")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		os.Stdout.Write(b)
	case "/log":
		fmt.Fprintln(os.Stderr, "guest-log-line")
		fmt.Print("logged")
	case "/loop":
		for {
		}
	case "/exit":
		os.Exit(3)
	case "/grow":
		var keep [][]byte
		for i := 0; i < 1024; i++ {
			keep = append(keep, make([]byte, 1<<20))
		}
		fmt.Print(len(keep))
	default:
		fmt.Print("hello from wasm")
	}
}
