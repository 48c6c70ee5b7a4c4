// Command slow is the Wasm function of the autoscaler's load test: each
// call sleeps 30 ms, so calls pile up in flight under load, then answers
// "slept". Build: GOOS=wasip1 GOARCH=wasm go build -o slow.wasm .
package main

import (
	"fmt"
	"time"
)

func main() {
	time.Sleep(30 * time.Millisecond)
	fmt.Print("Content-Type: text/plain\n\nslept")
}
