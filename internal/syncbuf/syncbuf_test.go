package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// Concurrent writers and readers (run with -race) lose no byte.
func TestConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				if i%2 == 0 {
					_, _ = b.Write([]byte("x"))
				} else {
					_, _ = b.WriteString("x")
				}
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Fatalf("%d bytes, want 800 x", len(got))
	}
}
