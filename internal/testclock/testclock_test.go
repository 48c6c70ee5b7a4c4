package testclock

import (
	"testing"
	"time"
)

func TestAdvance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	steps := []struct {
		by   time.Duration
		want time.Time
	}{
		{0, start},
		{time.Minute, start.Add(time.Minute)},
		{time.Hour, start.Add(time.Hour + time.Minute)},
	}
	for _, s := range steps {
		c.Advance(s.by)
		if got := c.Now(); !got.Equal(s.want) {
			t.Fatalf("after +%s Now = %s, want %s", s.by, got, s.want)
		}
	}
}
