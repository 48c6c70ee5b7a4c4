package containers

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNextDelay(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	d := time.Duration(0)
	var got []time.Duration
	for range 6 {
		d = nextDelay(d, lo, hi)
		got = append(got, d)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
}

func TestExitMessage(t *testing.T) {
	tests := []struct {
		name       string
		code       uint32
		werr       error
		quickExits int
		last       string
		want       []string
		notWant    string
	}{
		{name: "first exit", code: 1, quickExits: 1, last: "boom", want: []string{"exited with status 1 after 2s", "next restart in 1s", `last output: "boom"`}, notWant: "crash-looping"},
		{name: "crash loop", code: 3, quickExits: 3, want: []string{"crash-looping: exited with status 3"}, notWant: "last output"},
		{name: "killed", code: 137, quickExits: 1, want: []string{"status 137", "SIGKILL: out of memory"}},
		{name: "signalled", code: 143, quickExits: 1, want: []string{"(signal 15)"}},
		{name: "lost", werr: errors.New("ttrpc closed"), quickExits: 1, want: []string{"lost track of task: ttrpc closed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := exitMessage(tc.code, tc.werr, 2*time.Second, tc.quickExits, 4, time.Second, tc.last)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not contain %q", msg, w)
				}
			}
			if tc.notWant != "" && strings.Contains(msg, tc.notWant) {
				t.Errorf("%q contains %q", msg, tc.notWant)
			}
		})
	}
}

func TestChooseVictims(t *testing.T) {
	mk := func(id string, ready bool) *replica { return &replica{id: id, ready: ready, running: ready} }
	a, b, c, d := mk("a", true), mk("b", false), mk("c", true), mk("d", true)
	tests := []struct {
		name     string
		reps     []*replica
		n        int
		wantKeep string
		wantDrop string
	}{
		{"unready first", []*replica{a, b, c, d}, 1, "acd", "b"},
		{"then newest", []*replica{a, b, c, d}, 2, "ac", "bd"},
		{"all", []*replica{a, b, c, d}, 4, "", "abcd"},
		{"none", []*replica{a, b}, 0, "ab", ""},
	}
	join := func(rs []*replica) string {
		var s string
		for _, r := range rs {
			s += r.id
		}
		return s
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keep, drop := chooseVictims(tc.reps, tc.n)
			if join(keep) != tc.wantKeep || join(drop) != tc.wantDrop {
				t.Fatalf("keep %q drop %q, want %q %q", join(keep), join(drop), tc.wantKeep, tc.wantDrop)
			}
		})
	}
}
