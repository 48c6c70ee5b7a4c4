package golden

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []Case{
		{Query: "search=Hamlet", Status: 200, Body: "{\n  \"a\": 1\n}\n"},
		{Query: "", Status: 400, Body: "bad\n"},
		{Query: "text=a b", Status: 200, Body: "x\n\ny\n"},
	}
	path := filepath.Join(t.TempDir(), "g.txt")
	if err := Write(path, cases); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cases) {
		t.Errorf("got %+v, want %+v", got, cases)
	}
}

func TestBadFormat(t *testing.T) {
	for _, text := range []string{"body first\n", "=== x q\n"} {
		if _, err := Parse(text); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%q) err = %v", text, err)
		}
	}
	for _, c := range []Case{{Body: "no newline"}, {Body: "a\n=== 1 b\n"}, {Query: "a\nb", Body: "\n"}} {
		if _, err := Format([]Case{c}); !errors.Is(err, ErrFormat) {
			t.Errorf("Format(%+v) err = %v", c, err)
		}
	}
}
