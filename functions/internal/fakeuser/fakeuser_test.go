package fakeuser

import (
	"encoding/json"
	"os"
	"testing"
)

func TestLists(t *testing.T) {
	l := Lists()
	for _, name := range []string{"first", "last", "domain", "street", "city", "country"} {
		if len(l[name]) < 5 {
			t.Errorf("list %s has %d words", name, len(l[name]))
		}
		for _, w := range l[name] {
			for i := 0; i < len(w); i++ {
				if w[i] >= 0x80 || w[i] < 0x20 {
					t.Errorf("list %s: %q is not printable ASCII", name, w)
				}
			}
		}
	}
}

func TestGenerate(t *testing.T) {
	a, b, c := Generate(1, 3), Generate(1, 3), Generate(2, 3)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("same seed, user %d differs: %+v %+v", i, a[i], b[i])
		}
	}
	if a[0] == c[0] {
		t.Error("different seeds, same first user")
	}
	u := a[0]
	if u.FirstName == "" || u.Email == "" || len(u.Phone) != 10 || u.Phone[0] < '2' {
		t.Errorf("user %+v", u)
	}
	if got := Generate(7, 0); len(got) != 0 {
		t.Errorf("Generate(7, 0) = %v", got)
	}
}

// TestWireFormat pins the first record of the default seed and its JSON as
// POSTed; the Rust version (functions/rust/user-manager) pins the same.
func TestWireFormat(t *testing.T) {
	b, err := json.Marshal(Generate(42, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"first_name":"Priya","last_name":"Eriksen","email":"priya.eriksen@example.net","username":"priyaeriksen34","phone":"2828362455","street":"6651 Harbour Road","city":"Coimbra","country":"Italy"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

// TestRustCopy fails when the Rust crate's copy of the word lists is stale:
// run go generate ./internal/fakeuser.
func TestRustCopy(t *testing.T) {
	b, err := os.ReadFile("../../rust/user-manager/src/words.txt")
	if err != nil || string(b) != words {
		t.Errorf("functions/rust/user-manager/src/words.txt differs from words.txt (%v): run go generate ./internal/fakeuser", err)
	}
}
