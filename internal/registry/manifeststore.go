package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// maxManifestSize bounds a manifest upload (the limit distribution uses).
const maxManifestSize = 4 << 20

// journalEntry is one successful manifest change: a PUT or DELETE of
// /v2/<repo>/manifests/<reference>.
type journalEntry struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// manifestStore wraps a registry handler that keeps manifests in memory:
// it appends every successful manifest PUT and DELETE to a journal file and
// replays the journal into the handler when created.
type manifestStore struct {
	next    http.Handler
	mu      sync.Mutex
	journal *os.File
}

func newManifestStore(next http.Handler, dir string) (*manifestStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("registry: manifest dir: %w", err)
	}
	name := filepath.Join(dir, "journal.jsonl")
	if err := replay(next, name); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("registry: manifest journal: %w", err)
	}
	return &manifestStore{next: next, journal: f}, nil
}

func replay(h http.Handler, name string) error {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry: manifest journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 2*maxManifestSize)
	for line := 1; sc.Scan(); line++ {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("registry: manifest journal %s line %d: %w", name, line, err)
		}
		req := httptest.NewRequest(e.Method, e.Path, bytes.NewReader(e.Body))
		if e.ContentType != "" {
			req.Header.Set("Content-Type", e.ContentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			return fmt.Errorf("registry: manifest journal %s line %d: %s %s answered %d", name, line, e.Method, e.Path, rec.Code)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("registry: manifest journal %s: %w", name, err)
	}
	return nil
}

func isManifestPath(p string) bool {
	return strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/manifests/")
}

// ServeHTTP forwards every request; manifest changes are journaled.
func (s *manifestStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isManifestPath(r.URL.Path) || (r.Method != http.MethodPut && r.Method != http.MethodDelete) {
		s.next.ServeHTTP(w, r)
		return
	}
	var body []byte
	if r.Method == http.MethodPut {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxManifestSize))
		if err != nil {
			http.Error(w, "manifest too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.next.ServeHTTP(sw, r)
	if sw.status >= 300 {
		return
	}
	e := journalEntry{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body}
	if err := s.append(e); err != nil {
		slog.Error("registry: manifest change served but not persisted", "method", e.Method, "path", e.Path, "err", err)
	}
}

// Close closes the journal.
func (s *manifestStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.journal.Close()
}

func (s *manifestStore) append(e journalEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := s.journal.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.journal.Sync()
}

// statusWriter records the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
