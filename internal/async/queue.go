package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Stream and subject names in NATS.
const (
	StreamName     = "FAASWASM_ASYNC"
	subjectPrefix  = "faaswasm.async."
	consumerPrefix = "fn_"
)

// Queue stores calls in a JetStream stream and runs them. It is safe for
// concurrent use.
type Queue struct {
	o          options
	js         jetstream.JetStream
	stream     jetstream.Stream
	maxPayload int64

	ctx    context.Context // ends when Close gives up waiting
	cancel context.CancelFunc
	calls  sync.WaitGroup // calls being processed

	mu       sync.Mutex
	invoker  http.Handler // set by Start
	closed   bool
	workers  map[string]jetstream.ConsumeContext // by consumer name
	stopScan context.CancelFunc                  // ends the rescan loop
	scanned  sync.WaitGroup
}

// New connects the queue to the JetStream of nc, creating or updating its
// stream with the configured bounds. Calls run only after Start.
//
// # Errors
// When nc is not connected (yet), JetStream is not enabled on the server or
// the stream cannot be set up.
func New(ctx context.Context, nc *nats.Conn, opts ...Option) (*Queue, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.obs == nil {
		o.obs = noObserver{}
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: 30 * time.Second}
	}
	switch {
	case o.maxQueued <= 0 || o.maxBytes <= 0:
		return nil, fmt.Errorf("async queue: limits must be positive (calls %d, bytes %d)", o.maxQueued, o.maxBytes)
	case o.concurrency <= 0 || o.maxAttempts <= 0 || o.callbackAttempts <= 0:
		return nil, fmt.Errorf("async queue: concurrency %d, attempts %d and callback attempts %d must be positive", o.concurrency, o.maxAttempts, o.callbackAttempts)
	case o.backoff <= 0 || o.maxBackoff < o.backoff || o.ackWait <= 0 || o.callTimeout <= 0:
		return nil, fmt.Errorf("async queue: back-off %v..%v, ack wait %v and call timeout %v must be positive", o.backoff, o.maxBackoff, o.ackWait, o.callTimeout)
	}
	// The message limit is the server's, known once connected: a connection
	// still retrying (nats.RetryOnFailedConnect) reports 0.
	maxPayload := nc.MaxPayload()
	if maxPayload <= 0 {
		return nil, fmt.Errorf("async queue: not connected to NATS yet (%s)", nc.Status())
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("async queue: jetstream: %w", err)
	}
	q := &Queue{o: o, js: js, maxPayload: maxPayload, workers: map[string]jetstream.ConsumeContext{}, stopScan: func() {}}
	q.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "faas-wasm asynchronous function calls",
		Subjects:    []string{subjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxMsgs:     o.maxQueued,
		MaxBytes:    o.maxBytes,
		MaxMsgSize:  int32(min(q.maxPayload, 1<<31-1)),
	})
	if err != nil {
		return nil, fmt.Errorf("async queue: stream %s: %w", StreamName, err)
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	return q, nil
}

// MaxCallBytes is the largest encoded call the NATS server accepts.
func (q *Queue) MaxCallBytes() int64 { return q.maxPayload }

// Enqueue stores c (its Submitted time set when zero) for a later run.
//
// # Errors
// provider.ErrQueueFull when the queue holds its maximum of calls or bytes,
// provider.ErrTooLarge when the call exceeds the server's message size,
// provider.ErrInvalid for an unusable call, provider.ErrUnavailable when the
// queue is closed or NATS does not answer.
func (q *Queue) Enqueue(ctx context.Context, c Call) error {
	fn := c.Name + "." + c.Namespace
	if c.Submitted.IsZero() {
		c.Submitted = time.Now()
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("enqueue %s: %v: %w", fn, err, provider.ErrInvalid)
	}
	data, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("enqueue %s: %w: %w", fn, err, provider.ErrInvalid)
	}
	if int64(len(data)) > q.maxPayload {
		return fmt.Errorf("enqueue %s: the call takes %d bytes, more than the queue's message limit of %d: %w", fn, len(data), q.maxPayload, provider.ErrTooLarge)
	}
	if err := q.ensureWorker(ctx, c.Name, c.Namespace); err != nil {
		return fmt.Errorf("enqueue %s: %w", fn, err)
	}
	if _, err := q.js.PublishMsg(ctx, &nats.Msg{Subject: subject(c.Name, c.Namespace), Data: data}); err != nil {
		if q.full(ctx, int64(len(data))) {
			q.o.obs.AsyncCall(fn, "rejected")
			return fmt.Errorf("enqueue %s: the queue holds its limit of %d calls or %d bytes: %w", fn, q.o.maxQueued, q.o.maxBytes, provider.ErrQueueFull)
		}
		return fmt.Errorf("enqueue %s: publish: %v: %w", fn, err, provider.ErrUnavailable)
	}
	q.o.obs.AsyncCall(fn, "accepted")
	return nil
}

// full reports whether the stream cannot take n more bytes or one more call.
func (q *Queue) full(ctx context.Context, n int64) bool {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return false
	}
	return info.State.Msgs >= uint64(q.o.maxQueued) || int64(info.State.Bytes)+n > q.o.maxBytes
}

// Depth returns the number of calls waiting or running.
func (q *Queue) Depth(ctx context.Context) (uint64, error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("async queue depth: %w", err)
	}
	return info.State.Msgs, nil
}

// subject is the NATS subject of a function's calls.
func subject(name, namespace string) string {
	return subjectPrefix + namespace + "." + name
}

// consumerName is the durable consumer of a function's calls.
func consumerName(name, namespace string) string {
	return consumerPrefix + namespace + "_" + name
}

// Start runs the queued calls through invoker, which serves
// /function/NAME.NAMESPACE/... as the synchronous invocation route does. It
// resumes every function with a consumer (calls left by an earlier run or
// another replica), and looks for new ones every 10 s.
//
// # Errors
// When the consumers cannot be listed or Start was called before.
func (q *Queue) Start(ctx context.Context, invoker http.Handler) error {
	q.mu.Lock()
	if q.invoker != nil || q.closed {
		q.mu.Unlock()
		return errors.New("async queue: already started or closed")
	}
	q.invoker = invoker
	q.mu.Unlock()
	if err := q.resume(ctx); err != nil {
		return err
	}
	sctx, stop := context.WithCancel(q.ctx)
	q.mu.Lock()
	q.stopScan = stop
	q.mu.Unlock()
	q.scanned.Add(1)
	go func() {
		defer q.scanned.Done()
		every(sctx, q.o.rescan, func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, q.o.rescan)
			defer cancel()
			if err := q.resume(ctx); err != nil {
				q.o.log.Warn("async queue: list consumers", "err", err)
			}
		})
	}()
	return nil
}

// resume starts a worker for every function consumer of the stream.
func (q *Queue) resume(ctx context.Context) error {
	names := q.stream.ConsumerNames(ctx)
	for name := range names.Name() {
		ns, fn, ok := strings.Cut(strings.TrimPrefix(name, consumerPrefix), "_")
		if !strings.HasPrefix(name, consumerPrefix) || !ok {
			continue
		}
		if err := q.ensureWorker(ctx, fn, ns); err != nil {
			return err
		}
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("async queue: list consumers: %w", err)
	}
	return nil
}

// ensureWorker creates the function's consumer and, once started, consumes it.
func (q *Queue) ensureWorker(ctx context.Context, name, namespace string) error {
	cname := consumerName(name, namespace)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return fmt.Errorf("async queue closed: %w", provider.ErrUnavailable)
	}
	if _, ok := q.workers[cname]; ok {
		return nil
	}
	cons, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       cname,
		FilterSubject: subject(name, namespace),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.o.ackWait,
		MaxDeliver:    -1,
		MaxAckPending: q.o.concurrency,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %v: %w", cname, err, provider.ErrUnavailable)
	}
	if q.invoker == nil {
		return nil
	}
	w := &worker{q: q, fn: name + "." + namespace, slots: make(chan struct{}, q.o.concurrency)}
	cc, err := cons.Consume(w.take, jetstream.PullMaxMessages(q.o.concurrency),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			q.o.log.Debug("async queue: consume", "function", w.fn, "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume %s: %v: %w", cname, err, provider.ErrUnavailable)
	}
	q.workers[cname] = cc
	return nil
}

// Close stops taking calls and waits for the running ones until ctx ends;
// then it cancels them (they run again later: they were not acknowledged).
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.stopScan()
	for _, cc := range q.workers {
		cc.Stop()
	}
	q.mu.Unlock()
	q.scanned.Wait()
	done := make(chan struct{})
	go func() { q.calls.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("async queue: calls still running at close: %w", ctx.Err())
		q.cancel()
		<-done
	}
	q.cancel()
	return err
}
