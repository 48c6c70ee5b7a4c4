package containers

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTailer(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"line split across writes", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}},
		{"partial line waits", []string{"done\npart"}, []string{"done"}},
		{"crlf", []string{"dos\r\n"}, []string{"dos"}},
		{"empty line kept", []string{"\n\nx\n"}, []string{"", "", "x"}},
		{"overlong line cut", []string{strings.Repeat("z", maxLineBytes+10) + "\n"}, []string{strings.Repeat("z", maxLineBytes), strings.Repeat("z", 10)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			var got []string
			tl := newTailer(path, 1<<20, func(l string) { got = append(got, l) })
			tl.poll() // file missing: nothing happens
			for _, w := range tc.writes {
				appendFile(t, path, w)
				tl.poll()
			}
			tl.close()
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTailerTruncatesAndFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	var got []string
	tl := newTailer(path, 10, func(l string) { got = append(got, l) })
	appendFile(t, path, "0123456789abc\n")
	tl.poll()
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("file not truncated after being read past max: %v %v", fi.Size(), err)
	}
	appendFile(t, path, "next\n")
	tl.poll()
	if !slices.Equal(got, []string{"0123456789abc", "next"}) {
		t.Fatalf("got %q", got)
	}
	if tl.lastLine() != "next" {
		t.Errorf("lastLine = %q", tl.lastLine())
	}
	// truncated by someone else: start over
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "x\n")
	tl.poll()
	if got[len(got)-1] != "x" {
		t.Fatalf("after external truncation got %q", got)
	}
}

func TestTailerSkipToEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	appendFile(t, path, "old\n")
	var got []string
	tl := newTailer(path, 1<<20, func(l string) { got = append(got, l) })
	tl.skipToEnd()
	appendFile(t, path, "new\n")
	tl.poll()
	if !slices.Equal(got, []string{"new"}) {
		t.Fatalf("got %q", got)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
