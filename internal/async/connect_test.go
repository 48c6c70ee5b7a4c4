package async

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TestNewWaitsForTheConnection: a provider connects to a cluster NATS that
// starts after it (nats.RetryOnFailedConnect). A New that ran while the
// connection was not up yet took the server's message limit as 0 and
// refused every call with 413 "more than the queue's message limit of 0"
// (seen on the test cluster). New must fail until the connection is up, and
// then take the server's limit.
func TestNewWaitsForTheConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	nc, err := nats.Connect("nats://"+ln.Addr().String(), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	type opened struct {
		q   *Queue
		err error
	}
	done := make(chan opened, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		q, err := New(ctx, nc, fast...)
		done <- opened{q, err}
	}()
	time.Sleep(300 * time.Millisecond) // New runs while nothing listens
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), MaxPayload: 1 << 20, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	closeQueue := func(q *Queue) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Close(ctx); err != nil {
			t.Error(err)
		}
	}
	if o := <-done; o.err == nil {
		closeQueue(o.q)
		if o.q.MaxCallBytes() != 1<<20 {
			t.Fatalf("New before the connection was up: message limit %d, want the server's %d", o.q.MaxCallBytes(), 1<<20)
		}
	}
	waitFor(t, nc.IsConnected)
	q, err := New(context.Background(), nc, fast...)
	if err != nil {
		t.Fatal(err)
	}
	defer closeQueue(q)
	if q.MaxCallBytes() != 1<<20 {
		t.Fatalf("message limit %d, want the server's %d", q.MaxCallBytes(), 1<<20)
	}
	if err := q.Enqueue(context.Background(), call("small", "fn", "")); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}
