package console

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// pageLog keeps what the page did that a failed step should explain:
// requests and their answers, failed loads, exceptions and console output.
// It keeps the last pageLogLines lines.
type pageLog struct {
	mu    sync.Mutex
	start time.Time
	urls  map[network.RequestID]string
	lines []string
	// networkChanged counts requests that failed with
	// net::ERR_NETWORK_CHANGED (see open).
	networkChanged int
}

const pageLogLines = 80

type pageLogKey struct{}

// recordPage starts recording the events of ctx's tab and returns ctx
// carrying the log, for step to print when it fails.
func recordPage(ctx context.Context) (context.Context, error) {
	l := &pageLog{start: time.Now(), urls: map[network.RequestID]string{}}
	err := chromedp.Listen(ctx, l.event)
	return context.WithValue(ctx, pageLogKey{}, l), err
}

func (l *pageLog) event(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.urls[e.RequestID] = e.Request.URL
		l.add("request %s %s", e.Request.Method, e.Request.URL)
	case *network.EventResponseReceived:
		l.add("response %d %s", e.Response.Status, e.Response.URL)
	case *network.EventLoadingFailed:
		l.add("failed %s %s (canceled=%v)", l.urls[e.RequestID], e.ErrorText, e.Canceled)
		if e.ErrorText == "net::ERR_NETWORK_CHANGED" {
			l.networkChanged++
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		l.add("exception %s (%s:%d)", text, d.URL, d.LineNumber)
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range e.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		l.add("console.%s %s", e.Type, strings.Join(args, " "))
	}
}

func (l *pageLog) add(format string, args ...any) {
	line := fmt.Sprintf("%7.3fs ", time.Since(l.start).Seconds()) + fmt.Sprintf(format, args...)
	l.lines = append(l.lines, line)
	if len(l.lines) > pageLogLines {
		l.lines = l.lines[len(l.lines)-pageLogLines:]
	}
}

// pageEvents returns the recorded lines of ctx's tab, or "" when none.
func pageEvents(ctx context.Context) string {
	l, ok := ctx.Value(pageLogKey{}).(*pageLog)
	if !ok {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// networkChanges is how many of ctx's tab's requests have failed because
// the host's network changed.
func networkChanges(ctx context.Context) int {
	l, ok := ctx.Value(pageLogKey{}).(*pageLog)
	if !ok {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.networkChanged
}
