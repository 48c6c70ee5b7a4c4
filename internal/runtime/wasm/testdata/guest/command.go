//go:build !reactor

package main

import (
	"io"
	"os"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	os.Exit(handle(os.Stdout, body))
}
