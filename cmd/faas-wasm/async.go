package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/faas-wasm/faas-wasm/internal/async"
	"github.com/faas-wasm/faas-wasm/internal/config"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/metrics"
)

// natsMaxPayload is the largest message NATS accepts (64 MiB).
const natsMaxPayload = 64 << 20

// asyncQueue is the open asynchronous call queue and what closes it.
type asyncQueue struct {
	*async.Queue
	conn     *nats.Conn
	embedded *async.Embedded
}

// openAsync opens the asynchronous call queue: nil when --async=false or
// in kubernetes mode without --nats-url; a NATS server inside the
// provider (store <state-dir>/async) in local mode without --nats-url;
// else the NATS server at --nats-url.
func openAsync(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) (*asyncQueue, error) {
	a := cfg.Async
	if !a.Enabled || cfg.Mode == config.ModeKubernetes && a.NATSURL == "" {
		log.Info("asynchronous invocations off", "async", a.Enabled, "nats_url", a.NATSURL)
		return nil, nil
	}
	q := &asyncQueue{}
	if a.NATSURL == "" {
		dir := filepath.Join(cfg.StateDir, "async")
		e, err := async.StartEmbedded(dir, int32(min(cfg.MaxBodyBytes+1<<20, natsMaxPayload)))
		if err != nil {
			return nil, fmt.Errorf("async queue: %w", err)
		}
		q.embedded, q.conn = e, e.Conn()
	} else {
		nc, err := nats.Connect(a.NATSURL, nats.Name("faas-wasm"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
		if err != nil {
			return nil, fmt.Errorf("async queue: connect to %s: %w", a.NATSURL, err)
		}
		q.conn = nc
	}
	opts := []async.Option{
		async.WithMaxQueued(a.MaxQueued),
		async.WithMaxBytes(a.MaxBytes),
		async.WithConcurrency(a.Concurrency),
		async.WithMaxAttempts(a.MaxAttempts),
		async.WithCallbackAttempts(a.CallbackAttempts),
		async.WithBackoff(a.Backoff, a.MaxBackoff),
		async.WithAckWait(a.AckWait),
		async.WithCallTimeout(cfg.FunctionTimeout + cfg.ScaleFromZero + 5*time.Second),
		async.WithMaxResultBytes(cfg.MaxBodyBytes),
		async.WithLogger(log),
		async.WithObserver(m),
	}
	// A NATS server in the cluster may start after the provider: retry.
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var err error
	for {
		if q.Queue, err = async.New(wait, q.conn, opts...); err == nil {
			break
		}
		select {
		case <-wait.Done():
			q.close(context.Background())
			return nil, err
		case <-time.After(2 * time.Second):
			log.Info("waiting for NATS JetStream", "nats_url", a.NATSURL, "err", err)
		}
	}
	m.AsyncQueueDepth(func() float64 {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := q.Depth(dctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	log.Info("asynchronous invocations on", "nats_url", a.NATSURL, "embedded", q.embedded != nil,
		"queue_max", a.MaxQueued, "concurrency", a.Concurrency, "max_attempts", a.MaxAttempts)
	return q, nil
}

// close stops the workers (waiting for running calls until ctx ends) and
// disconnects; a nil queue is a no-op.
func (q *asyncQueue) close(ctx context.Context) error {
	if q == nil {
		return nil
	}
	var err error
	if q.Queue != nil {
		err = q.Queue.Close(ctx)
	}
	if q.embedded != nil {
		q.embedded.Close()
	} else if q.conn != nil {
		q.conn.Close()
	}
	return err
}

// enqueuer is the queue as the HTTP layer takes it: nil when off.
func (q *asyncQueue) enqueuer() handlers.AsyncQueue {
	if q == nil {
		return nil
	}
	return q.Queue
}
