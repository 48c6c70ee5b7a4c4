package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStageKeepsTimesAcrossCheckouts stages one Cargo package from two
// checkouts whose files carry different modification times (as two clones
// do) and expects the second staging to leave the stage's times alone, so
// cargo's fingerprints stay fresh; a changed file must become newer, a
// removed one must leave the stage, and another layout gets another stage.
// Staging once copied the checkout's times, so every build after one from
// another checkout compiled every Rust function again.
func TestStageKeepsTimesAcrossCheckouts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo metadata")
	}
	files := map[string]string{
		"Cargo.toml":  "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
		"src/main.rs": "fn main() {}\n",
		"src/util.rs": "pub fn f() {}\n",
	}
	checkout := func(root string, mtime time.Time) string {
		dir := filepath.Join(root, "fn", "p")
		for name, body := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	a := checkout(filepath.Join(t.TempDir(), "a"), old)
	bb := checkout(filepath.Join(t.TempDir(), "bb"), old.Add(24*time.Hour))
	b := New()
	stages := t.TempDir()
	stage := func(dir string) (string, map[string]time.Time) {
		t.Helper()
		build, st, unlock, err := b.stageRust(t.Context(), dir, stages)
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		if _, err := os.Stat(filepath.Join(build, "Cargo.toml")); err != nil {
			t.Fatalf("build dir %s: %v", build, err)
		}
		times := map[string]time.Time{}
		err = filepath.WalkDir(st, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(st, p)
			times[rel] = info.ModTime()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return st, times
	}
	st1, first := stage(a)
	for name := range files {
		if _, ok := first[name]; !ok {
			t.Fatalf("staged %v, no %s", first, name)
		}
	}
	time.Sleep(10 * time.Millisecond)
	st2, second := stage(bb)
	if st2 != st1 {
		t.Fatalf("two checkouts of one layout got stages %s and %s", st1, st2)
	}
	for rel, tm := range first {
		if !second[rel].Equal(tm) {
			t.Errorf("%s: time changed from %v to %v though its bytes did not", rel, tm, second[rel])
		}
	}

	if err := os.WriteFile(filepath.Join(bb, "src", "main.rs"), []byte("fn main() { println!(); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(bb, "src", "main.rs"), old, old); err != nil { // older than the stage's: content decides
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(bb, "src", "util.rs")); err != nil {
		t.Fatal(err)
	}
	_, third := stage(bb)
	main := filepath.Join("src", "main.rs")
	if !third[main].After(second[main]) {
		t.Errorf("changed main.rs: time %v, not after %v", third[main], second[main])
	}
	if _, ok := third[filepath.Join("src", "util.rs")]; ok {
		t.Error("removed util.rs is still staged")
	}

	files["Cargo.toml"] = strings.Replace(files["Cargo.toml"], `"p"`, `"q"`, 1) // another project
	if st3, _ := stage(checkout(filepath.Join(t.TempDir(), "c"), old)); st3 == st1 {
		t.Errorf("another project shares stage %s", st1)
	}
}
