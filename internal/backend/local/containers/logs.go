package containers

import (
	"bytes"
	"os"
	"sync"
)

const (
	// maxLineBytes bounds a line without newline; longer output is cut into
	// lines of this size.
	maxLineBytes = 64 << 10
	// keepLines is how many recent lines a tailer remembers for error reports.
	keepLines = 5
)

// tailer follows a replica's output file (written by containerd's shim
// with O_APPEND) and emits complete lines. Once everything written has been
// read and the file is larger than max, it is truncated; a line written
// between the last read and the truncation can be lost.
type tailer struct {
	path string
	max  int64
	emit func(line string)

	mu      sync.Mutex
	f       *os.File
	off     int64
	partial []byte
	recent  []string
}

func newTailer(path string, maxBytes int64, emit func(string)) *tailer {
	return &tailer{path: path, max: maxBytes, emit: emit}
}

// skipToEnd makes the tailer ignore what the file holds now (used when
// adopting a running replica whose earlier output was already delivered).
func (t *tailer) skipToEnd() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fi, err := os.Stat(t.path); err == nil {
		t.off = fi.Size()
	}
}

// poll reads what was appended since the last call and emits whole lines.
func (t *tailer) poll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			return
		}
		t.f = f
	}
	fi, err := t.f.Stat()
	if err != nil {
		return
	}
	if fi.Size() < t.off {
		t.off, t.partial = 0, nil
	}
	buf := make([]byte, 32<<10)
	for {
		// ReadAt reports an error (io.EOF at the end) whenever n < len(buf).
		n, err := t.f.ReadAt(buf, t.off)
		t.off += int64(n)
		t.consume(buf[:n])
		if err != nil {
			break
		}
	}
	if t.off > t.max {
		if fi, err := t.f.Stat(); err == nil && fi.Size() == t.off {
			if os.Truncate(t.path, 0) == nil {
				t.off = 0
			}
		}
	}
}

// consume splits data into lines; t.mu is held.
func (t *tailer) consume(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.partial = append(t.partial, data...)
			if len(t.partial) >= maxLineBytes {
				t.line(t.partial)
				t.partial = nil
			}
			return
		}
		t.partial = append(t.partial, data[:i]...)
		t.line(t.partial)
		t.partial = nil
		data = data[i+1:]
	}
}

// line emits one line (without "\r\n"/"\n") and remembers it.
func (t *tailer) line(b []byte) {
	s := string(bytes.TrimSuffix(b, []byte("\r")))
	t.recent = append(t.recent, s)
	if len(t.recent) > keepLines {
		t.recent = t.recent[len(t.recent)-keepLines:]
	}
	t.emit(s)
}

// lastLine returns the most recent non-empty line, or "".
func (t *tailer) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.recent) - 1; i >= 0; i-- {
		if t.recent[i] != "" {
			return t.recent[i]
		}
	}
	return ""
}

// close releases the file; a later poll reopens it.
func (t *tailer) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}
