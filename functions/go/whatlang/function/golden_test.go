package function

import (
	"net/url"
	"path/filepath"
	"sort"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
	"github.com/faas-wasm/faas-wasm/functions/internal/trigram"
)

const testdata = "../../../testdata/whatlang"

// TestGolden checks the answers to the study's input, edge cases and every
// held-out corpus sentence against testdata/whatlang/golden.txt, which the
// Rust version is tested against too.
func TestGolden(t *testing.T) {
	queries := []string{
		"text=" + url.QueryEscape("The quick brown fox jumps over the lazy dog"),
		"text=" + url.QueryEscape("Ich bin ein Berliner und das ist sehr schön hier in der Stadt"),
		"text=" + url.QueryEscape("こんにちは、お元気ですか。今日はとてもいい天気ですね"),
		"text=" + url.QueryEscape("今天天气很好"),
		"text=" + url.QueryEscape("123 !!! ..."),
		"text=" + url.QueryEscape("Ⅻ ☃ ÉCOLE Élève"),
		"text=%E2%82A%FF+abc",
		"text=", "", "text=a&text=b", "text=I",
	}
	files, err := filepath.Glob(filepath.Join(testdata, "corpus", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		_, held, err := trigram.ReadCorpus(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range held {
			queries = append(queries, "text="+url.QueryEscape(s))
		}
	}
	golden.Check(t, filepath.Join(testdata, "golden.txt"), Handle, queries)
}
