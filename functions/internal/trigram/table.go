package trigram

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrTable is wrapped by the errors of ParseTable.
var ErrTable = errors.New("trigram: bad table")

// Table is a parsed languages/profiles table (the format of
// testdata/whatlang/languages.txt, plus a fifth field on lang lines in
// profiles.txt: the profile's trigrams, best first, written one after the
// other without separators, three characters each).
type Table struct {
	scripts []string // in tie-break order
	ranges  []span   // sorted by lo, not overlapping
	langs   []Lang
}

// Lang is one language of a table.
type Lang struct {
	Script, Code, Name string
	// Trigrams is the profile, best first; empty for a script's only language.
	Trigrams []string
}

// span is a range of code points; script is an index in Table.scripts, or
// -1 for combining marks.
type span struct {
	lo, hi rune
	script int
}

// ParseTable parses the text of a table.
func ParseTable(text string) (*Table, error) {
	t := &Table{}
	for n, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "|")
		var err error
		switch {
		case f[0] == "script" && len(f) == 3:
			t.scripts = append(t.scripts, f[1])
			err = t.addRanges(f[2], len(t.scripts)-1)
		case f[0] == "mark" && len(f) == 2:
			err = t.addRanges(f[1], -1)
		case f[0] == "lang" && (len(f) == 4 || len(f) == 5):
			l := Lang{Script: f[1], Code: f[2], Name: f[3]}
			if len(f) == 5 {
				l.Trigrams, err = splitTrigrams(f[4])
			}
			if err == nil && t.scriptIndex(l.Script) < 0 {
				err = fmt.Errorf("unknown script %q", l.Script)
			}
			t.langs = append(t.langs, l)
		default:
			err = errors.New("unknown line")
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTable, n+1, err)
		}
	}
	sort.Slice(t.ranges, func(i, j int) bool { return t.ranges[i].lo < t.ranges[j].lo })
	for i := 1; i < len(t.ranges); i++ {
		if t.ranges[i].lo <= t.ranges[i-1].hi {
			return nil, fmt.Errorf("%w: ranges overlap at %04X", ErrTable, t.ranges[i].lo)
		}
	}
	return t, nil
}

// splitTrigrams cuts s into strings of three characters.
func splitTrigrams(s string) ([]string, error) {
	var tris []string
	for s != "" {
		n, rs := 0, 0
		for i := range s {
			if rs == 3 {
				break
			}
			rs, n = rs+1, i
		}
		if rs < 3 {
			return nil, fmt.Errorf("trigrams end in %q", s)
		}
		_, size := utf8.DecodeRuneInString(s[n:])
		tris, s = append(tris, s[:n+size]), s[n+size:]
	}
	return tris, nil
}

func (t *Table) addRanges(field string, script int) error {
	for _, r := range strings.Fields(field) {
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 16, 32)
		b, err2 := strconv.ParseUint(hi, 16, 32)
		if err1 != nil || err2 != nil || a > b {
			return fmt.Errorf("bad range %q", r)
		}
		t.ranges = append(t.ranges, span{rune(a), rune(b), script})
	}
	return nil
}

func (t *Table) scriptIndex(name string) int {
	for i, s := range t.scripts {
		if s == name {
			return i
		}
	}
	return -1
}

// Langs returns the table's languages in table order.
func (t *Table) Langs() []Lang { return t.langs }

// classify returns the script index of r, -1 for a combining mark, and
// false when r is not part of a word.
func (t *Table) classify(r rune) (int, bool) {
	i := sort.Search(len(t.ranges), func(i int) bool { return t.ranges[i].hi >= r })
	if i < len(t.ranges) && t.ranges[i].lo <= r {
		return t.ranges[i].script, true
	}
	return 0, false
}

// Fold lowers the case of Latin and Cyrillic letters by a fixed rule:
// ASCII and Latin-1 capitals; the capital/small pairs of Latin Extended-A,
// Ǎ–ǜ, Ș–ț, Ơ, Ư and Latin Extended Additional; İ → i, Ÿ → ÿ, Ə → ə;
// Cyrillic Ѐ–Џ and А–Я and the pairs of Ѡ–ԯ. Any other character is
// returned as it is.
func Fold(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z', 0xC0 <= r && r <= 0xDE && r != 0xD7:
		return r + 0x20
	case r == 0x130:
		return 'i'
	case r == 0x178:
		return 0xFF
	case r == 0x18F:
		return 0x259
	case r == 0x1A0, r == 0x1AF:
		return r + 1
	case 0x100 <= r && r <= 0x137, 0x14A <= r && r <= 0x177, 0x218 <= r && r <= 0x21B,
		0x1E00 <= r && r <= 0x1E95, 0x1EA0 <= r && r <= 0x1EFF:
		if r%2 == 0 {
			return r + 1
		}
	case 0x139 <= r && r <= 0x148, 0x179 <= r && r <= 0x17E, 0x1CD <= r && r <= 0x1DC:
		if r%2 == 1 {
			return r + 1
		}
	case 0x400 <= r && r <= 0x40F:
		return r + 0x50
	case 0x410 <= r && r <= 0x42F:
		return r + 0x20
	case 0x460 <= r && r <= 0x481, 0x48A <= r && r <= 0x4BF, 0x4D0 <= r && r <= 0x52F:
		if r%2 == 0 {
			return r + 1
		}
	case r == 0x4C0:
		return 0x4CF
	case 0x4C1 <= r && r <= 0x4CE:
		if r%2 == 1 {
			return r + 1
		}
	}
	return r
}

// Count adds the trigrams of text's words to counts (rules 1 and 4).
func (t *Table) Count(text string, counts map[string]int) {
	word := []rune{'_'}
	flush := func() {
		if len(word) > 1 {
			word = append(word, '_')
			for i := 0; i+3 <= len(word); i++ {
				counts[string(word[i:i+3])]++
			}
		}
		word = word[:1]
	}
	for _, r := range text {
		if _, ok := t.classify(r); ok {
			word = append(word, Fold(r))
		} else {
			flush()
		}
	}
	flush()
}

// Profile ranks counts by rule 5 and returns at most size trigrams.
func Profile(counts map[string]int, size int) []string {
	tris := make([]string, 0, len(counts))
	for tri := range counts {
		tris = append(tris, tri)
	}
	sort.Slice(tris, func(i, j int) bool {
		a, b := tris[i], tris[j]
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		return a < b
	})
	return tris[:min(size, len(tris))]
}
