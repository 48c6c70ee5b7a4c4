package leaktest

import (
	"testing"
	"time"
)

// Check finds a goroutine left running and passes once it ended.
func TestCheckFindsALeak(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
	if err := Check(); err == nil {
		t.Fatal("a blocked goroutine was not reported")
	}
	close(stop)
	deadline := time.Now().Add(5 * time.Second)
	for Check() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still reported after it ended: %v", Check())
		}
	}
}

func TestMain(m *testing.M) { Main(m) }
