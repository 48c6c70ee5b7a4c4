package async

import (
	"log/slog"
	"net/http"
	"time"
)

// Option configures a Queue.
type Option func(*options)

type options struct {
	maxQueued        int64
	maxBytes         int64
	concurrency      int
	maxAttempts      int
	callbackAttempts int
	backoff          time.Duration
	maxBackoff       time.Duration
	ackWait          time.Duration
	callTimeout      time.Duration
	maxResultBytes   int64
	rescan           time.Duration
	log              *slog.Logger
	obs              Observer
	client           *http.Client
}

func defaults() options {
	return options{
		maxQueued:        10000,
		maxBytes:         1 << 30,
		concurrency:      4,
		maxAttempts:      3,
		callbackAttempts: 5,
		backoff:          time.Second,
		maxBackoff:       time.Minute,
		ackWait:          30 * time.Second,
		callTimeout:      time.Minute,
		maxResultBytes:   32 << 20,
		rescan:           10 * time.Second,
	}
}

// WithMaxQueued bounds the calls waiting or running (default 10000);
// Enqueue answers provider.ErrQueueFull beyond it.
func WithMaxQueued(n int64) Option { return func(o *options) { o.maxQueued = n } }

// WithMaxBytes bounds the bytes the queued calls take (default 1 GiB).
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithConcurrency sets how many calls of one function run at once
// (default 4), across every provider sharing the queue.
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithMaxAttempts sets how many times a call answering a retryable status
// (429, 502, 503, 504) is tried (default 3).
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// WithCallbackAttempts sets how many times a result is posted to a callback
// URL that fails (connection error, 429 or 5xx) (default 5).
func WithCallbackAttempts(n int) Option { return func(o *options) { o.callbackAttempts = n } }

// WithBackoff sets the delay before the second attempt of a call or a
// callback (default 1s), doubled for each further attempt up to max
// (default 1m).
func WithBackoff(first, max time.Duration) Option {
	return func(o *options) { o.backoff, o.maxBackoff = first, max }
}

// WithAckWait sets how long a call taken by a provider that stopped
// answering (killed) waits before another takes it (default 30s). Running
// calls keep their claim alive, so it does not bound a call's duration.
func WithAckWait(d time.Duration) Option { return func(o *options) { o.ackWait = d } }

// WithCallTimeout bounds one attempt of a call (default 1m); give it the
// function timeout plus the scale-from-zero wait.
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// WithMaxResultBytes bounds the response kept for the callback (default
// 32 MiB); a longer one is cut and logged.
func WithMaxResultBytes(n int64) Option { return func(o *options) { o.maxResultBytes = n } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithObserver sets who counts submissions and outcomes (default none).
func WithObserver(obs Observer) Option { return func(o *options) { o.obs = obs } }

// WithHTTPClient sets the client that posts callbacks (default a client
// with a 30 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// Observer counts what the queue does; internal/metrics implements it.
type Observer interface {
	// AsyncCall counts a call event of fn ("name.namespace"): accepted,
	// rejected (queue full), retried, succeeded, failed (final non-2xx) or
	// invalid (undecodable, dropped).
	AsyncCall(fn, outcome string)
	// AsyncCallback counts a callback post: delivered, retried or failed.
	AsyncCallback(fn, outcome string)
	// AsyncDone records the time from submission to a call's completion
	// (result delivered, or no callback URL).
	AsyncDone(fn string, d time.Duration)
}

type noObserver struct{}

func (noObserver) AsyncCall(string, string)        {}
func (noObserver) AsyncCallback(string, string)    {}
func (noObserver) AsyncDone(string, time.Duration) {}
