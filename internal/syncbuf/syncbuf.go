// Package syncbuf is a byte buffer that goroutines may write while others
// read it: tests collect a process's, daemon's or task's output in one and
// search it as it grows.
//
// It is for tests and diagnostics only: it keeps everything written, with
// no limit, and offers no reads but a copy of the whole content.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects written bytes under a mutex. The zero value is ready to
// use; a Buffer must not be copied after first use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// WriteString appends str; it never fails.
func (s *Buffer) WriteString(str string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.WriteString(str)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
