package local

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestLogRing(t *testing.T) {
	r := newLogRing(5)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 8 {
		inst := "a"
		if i%2 == 1 {
			inst = "b"
		}
		r.add(logLine("f", "ns", inst, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second)))
	}
	texts := func(req provider.LogRequest) string {
		var s string
		for m := range r.stream(ctx, req) {
			s += m.Text
		}
		return s
	}
	for _, tc := range []struct {
		name string
		req  provider.LogRequest
		want string
	}{
		{"ring keeps the newest", provider.LogRequest{}, "34567"},
		{"tail", provider.LogRequest{Tail: 2}, "67"},
		{"tail larger than stored", provider.LogRequest{Tail: 50}, "34567"},
		{"since", provider.LogRequest{Since: t0.Add(5 * time.Second)}, "567"},
		{"instance", provider.LogRequest{Instance: "b"}, "357"},
		{"instance and tail", provider.LogRequest{Instance: "a", Tail: 1}, "6"},
		{"since after everything", provider.LogRequest{Since: t0.Add(time.Hour)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := texts(tc.req); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLogsFollow(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("echo")), nil)
	_, err := f.b.Logs(ctx, provider.LogRequest{Name: "nope"})
	wantErr(t, err, provider.ErrNotFound)
	h, _ := f.b.Invoker(ctx, "echo", "")
	call(t, h, "POST", "/", "old")

	before := runtime.NumGoroutine()
	fctx, cancel := context.WithCancel(ctx)
	ch, err := f.b.Logs(fctx, provider.LogRequest{Name: "echo", Follow: true})
	wantErr(t, err, nil)
	if m := <-ch; m.Text != "got old" {
		t.Fatalf("first line %q", m.Text)
	}
	call(t, h, "POST", "/", "new")
	select {
	case m := <-ch:
		if m.Text != "got new" {
			t.Fatalf("followed line %q", m.Text)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no new line while following")
	}
	cancel()
	for range ch {
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })

	// Deleting the function ends its followers.
	ch, _ = f.b.Logs(ctx, provider.LogRequest{Name: "echo", Follow: true, Tail: 1})
	<-ch
	wantErr(t, f.b.Delete(ctx, "echo", ""), nil)
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("a line after delete")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end when the function was deleted")
	}
}

// A follower that does not read never blocks the function.
func TestLogsSlowFollower(t *testing.T) {
	r := newLogRing(10)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_ = r.stream(fctx, provider.LogRequest{Follow: true})
	done := make(chan struct{})
	go func() {
		for i := range followBuffer * 4 {
			r.add(logLine("f", "ns", "a", fmt.Sprint(i), time.Now()))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("writing logs blocked on a follower that does not read")
	}
}
