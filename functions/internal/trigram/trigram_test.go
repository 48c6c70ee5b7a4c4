package trigram

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusDir = "../../testdata/whatlang/corpus"

// heldOut returns every held-out sentence with its language code.
func heldOut(t *testing.T) (texts, codes []string) {
	t.Helper()
	Detect("") // parse the embedded table
	for _, l := range table.Langs() {
		_, held, err := ReadCorpus(filepath.Join(corpusDir, l.Code+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range held {
			texts, codes = append(texts, s), append(codes, l.Code)
		}
	}
	return texts, codes
}

// TestHeldOutAccuracy measures the detector on the held-out sentences it did
// not learn from: whole sentences, and their first five words. The Rust
// version's test measures the same (functions/rust/whatlang/tests).
func TestHeldOutAccuracy(t *testing.T) {
	texts, codes := heldOut(t)
	for _, tc := range []struct {
		name string
		cut  func(string) string
		min  float64
	}{
		{"sentences", func(s string) string { return s }, 0.93},
		{"first five words", func(s string) string { return strings.Join(first(strings.Fields(s), 5), " ") }, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, reliable, reliableOK := 0, 0, 0
			for i, s := range texts {
				r := Detect(tc.cut(s))
				if r.Code == codes[i] {
					ok++
				} else {
					t.Logf("%s detected as %s (%d): %s", codes[i], r.Code, r.Confidence, tc.cut(s))
				}
				if r.IsReliable() {
					reliable++
					if r.Code == codes[i] {
						reliableOK++
					}
				}
			}
			acc := float64(ok) / float64(len(texts))
			t.Logf("accuracy %d/%d = %.3f; reliable %d, of which correct %d", ok, len(texts), acc, reliable, reliableOK)
			if acc < tc.min {
				t.Errorf("accuracy %.3f below %.2f", acc, tc.min)
			}
		})
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func TestDetect(t *testing.T) {
	tests := []struct {
		text, code, script string
	}{
		{"The quick brown fox jumps over the lazy dog", "eng", "Latin"},
		{"Ich bin ein Berliner und das ist sehr schön hier in der Stadt", "deu", "Latin"},
		{"El rápido zorro marrón salta sobre el perro perezoso en el campo", "spa", "Latin"},
		{"こんにちは、お元気ですか。今日はとてもいい天気ですね", "jpn", "Kana"},
		{"今天天气很好", "cmn", "Han"},
		{"Вчера вечером мы долго гуляли по набережной и разговаривали о новой работе", "rus", "Cyrillic"},
		{"123 !!! ...", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		r := Detect(tt.text)
		if r.Code != tt.code || r.Script != tt.script {
			t.Errorf("Detect(%q) = %+v, want %s %s", tt.text, r, tt.code, tt.script)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[rune]rune{'A': 'a', 'É': 'é', 'Ł': 'ł', 'Ž': 'ž', 'İ': 'i', 'ı': 'ı', 'Ə': 'ə', 'Ș': 'ș',
		'Ạ': 'ạ', 'Ư': 'ư', 'Ё': 'ё', 'Я': 'я', 'Ґ': 'ґ', 'Ў': 'ў', 'Ј': 'ј', 'ß': 'ß', '×': '×', 'a': 'a'} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%c) = %c, want %c", in, got, want)
		}
	}
}

func TestParseTableErrors(t *testing.T) {
	for _, text := range []string{"bogus|x", "script|A|0041-005A\nscript|B|0050", "lang|Nope|xx|X", "script|A|0041-005A\nlang|A|xx|X|abcd", "script|A|zz"} {
		if _, err := ParseTable(text); err == nil {
			t.Errorf("ParseTable(%q) succeeded", text)
		}
	}
}

// TestRustCopy fails when the Rust crate's copy of the table is stale: run
// go generate ./internal/trigram.
func TestRustCopy(t *testing.T) {
	b, err := os.ReadFile("../../rust/whatlang/src/profiles.txt")
	if err != nil || string(b) != profiles {
		t.Errorf("functions/rust/whatlang/src/profiles.txt differs from profiles.txt (%v): run go generate ./internal/trigram", err)
	}
}
