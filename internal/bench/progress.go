package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress prints one line per step to a writer (stderr): elapsed time,
// the variant's position among all variants, the function and the step.
// A nil *Progress prints nothing.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	done  int
	total int
}

// NewProgress returns a progress display writing to w.
func NewProgress(w io.Writer) *Progress { return &Progress{w: w, start: time.Now()} }

// SetTotal sets the number of variants the run measures.
func (p *Progress) SetTotal(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total = n
	p.mu.Unlock()
}

// Next marks the start of the next variant.
func (p *Progress) Next() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done++
	p.mu.Unlock()
}

// Step prints what is being done for subject.
func (p *Progress) Step(subject, what string) {
	p.printf("%s: %s", subject, what)
}

// Warn prints a failure of subject's phase.
func (p *Progress) Warn(subject, phase string, err error) {
	p.printf("%s: WARNING %s: %v", subject, phase, err)
}

func (p *Progress) printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Round(time.Second)
	fmt.Fprintf(p.w, "[%02d:%02d] [%d/%d] %s\n", int(el.Minutes()), int(el.Seconds())%60, p.done, p.total,
		fmt.Sprintf(format, args...))
}
