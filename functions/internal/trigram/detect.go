package trigram

// Detect detects the language of text with table t (rules 2, 3, 6, 7).
func (t *Table) Detect(text string) Result {
	counts := make([]int, len(t.scripts))
	for _, r := range text {
		if s, ok := t.classify(r); ok && s >= 0 {
			counts[s]++
		}
	}
	best := -1
	for i, c := range counts {
		if c > 0 && (best < 0 || c > counts[best]) {
			best = i
		}
	}
	if best < 0 {
		return Result{}
	}
	if kana := t.scriptIndex("Kana"); t.scripts[best] == "Han" && kana >= 0 && counts[kana] > 0 {
		best = kana
	}
	script := t.scripts[best]
	var group []Lang
	for _, l := range t.langs {
		if l.Script == script {
			group = append(group, l)
		}
	}
	switch len(group) {
	case 0:
		return Result{Script: script}
	case 1:
		return Result{Code: group[0].Code, Name: group[0].Name, Script: script, Confidence: 10000}
	}
	tc := map[string]int{}
	t.Count(text, tc)
	doc := Profile(tc, ProfileSize)
	rank := make(map[string]int, len(doc))
	for i, tri := range doc {
		rank[tri] = i
	}
	k := len(doc)
	d1, d2, win := -1, -1, 0
	for li, l := range group {
		d := k * ProfileSize
		for j, tri := range l.Trigrams {
			if i, ok := rank[tri]; ok {
				d -= ProfileSize - abs(i-j)
			}
		}
		switch {
		case d1 < 0 || d < d1:
			d2, d1, win = d1, d, li
		case d2 < 0 || d < d2:
			d2 = d
		}
	}
	return Result{Code: group[win].Code, Name: group[win].Name, Script: script, Confidence: confidence(d1, d2, k)}
}

// confidence is rule 7.
func confidence(d1, d2, k int) int {
	if d2 <= 0 {
		return 0
	}
	c := uint64(10000) * uint64(d2-d1) * 50 * uint64(k) / (uint64(d2) * uint64(k+200))
	return int(min(c, 10000))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
