package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Limits bound a comparison. Requests above them are refused (400), and a
// comparison still running after MaxDuration is stopped (state failed).
type Limits struct {
	// MaxCalls is the most calls per function and phase (serial, concurrent).
	MaxCalls int `json:"maxCalls"`
	// MaxConcurrency is the most calls in flight per function.
	MaxConcurrency int `json:"maxConcurrency"`
	// MaxDuration is the longest a comparison may run.
	MaxDuration time.Duration `json:"maxDuration"`
	// ColdStartTimeout bounds the wait for a function to reach zero
	// replicas and the cold call itself.
	ColdStartTimeout time.Duration `json:"coldStartTimeout"`
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{MaxCalls: 1000, MaxConcurrency: 32, MaxDuration: 2 * time.Minute, ColdStartTimeout: 30 * time.Second}

// keptFinished is how many finished comparisons stay readable.
const keptFinished = 16

func (l Limits) withDefaults() Limits {
	if l.MaxCalls <= 0 {
		l.MaxCalls = DefaultLimits.MaxCalls
	}
	if l.MaxConcurrency <= 0 {
		l.MaxConcurrency = DefaultLimits.MaxConcurrency
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultLimits.MaxDuration
	}
	if l.ColdStartTimeout <= 0 {
		l.ColdStartTimeout = DefaultLimits.ColdStartTimeout
	}
	return l
}

// Target names one function of a comparison.
type Target struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (t Target) String() string { return t.Name + "." + t.Namespace }

// CompareRequest is the body of POST /ui/api/compare.
type CompareRequest struct {
	A Target `json:"a"`
	B Target `json:"b"`
	// Calls is the number of calls per function in each phase.
	Calls int `json:"calls"`
	// Concurrency is the calls in flight per function in the concurrent phase.
	Concurrency int `json:"concurrency"`
	// ColdStart scales each function to zero and times one call first.
	ColdStart bool `json:"coldStart"`
	// Method, Path (below the function), and Body of every call; GET / by default.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Body   string `json:"body,omitempty"`
}

// States of a comparison.
const (
	StateRunning   = "running"
	StateDone      = "done"
	StateCancelled = "cancelled"
	StateFailed    = "failed"
)

// Snapshot is a comparison as GET /ui/api/compare/{id} reports it.
type Snapshot struct {
	ID       string          `json:"id"`
	State    string          `json:"state"`
	Error    string          `json:"error,omitempty"`
	Request  CompareRequest  `json:"request"`
	Limits   Limits          `json:"limits"`
	Started  time.Time       `json:"started"`
	Finished *time.Time      `json:"finished,omitempty"`
	Done     int             `json:"done"`
	Total    int             `json:"total"`
	Results  [2]FunctionRuns `json:"results"`
	// Ratios are B's value over A's for each measure (0 when A's is 0).
	Ratios Ratios `json:"ratios"`
}

// FunctionRuns are one function's measurements.
type FunctionRuns struct {
	Function Function `json:"function"`
	// ColdStartMs is the round trip of the first call after a scale to zero
	// (scale from zero included); 0 when not measured.
	ColdStartMs float64 `json:"coldStartMs,omitempty"`
	ColdError   string  `json:"coldError,omitempty"`
	Serial      Phase   `json:"serial"`
	Concurrent  Phase   `json:"concurrent"`
}

// Phase is the outcome of one series of calls.
type Phase struct {
	// LatenciesMs are the round trips of the successful calls, in order.
	LatenciesMs []float64 `json:"latenciesMs"`
	Errors      int       `json:"errors"`
	FirstError  string    `json:"firstError,omitempty"`
	// WallMs is the phase's elapsed time.
	WallMs float64 `json:"wallMs"`
	// Throughput is successful calls per second of wall time.
	Throughput float64 `json:"throughput"`
	Summary    Summary `json:"summary"`
}

// Summary describes a latency distribution in milliseconds.
type Summary struct {
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Ratios are B over A.
type Ratios struct {
	SerialP50     float64 `json:"serialP50"`
	ConcurrentP50 float64 `json:"concurrentP50"`
	Throughput    float64 `json:"throughput"`
	ColdStart     float64 `json:"coldStart"`
	ArtifactBytes float64 `json:"artifactBytes"`
}

// summarize returns the distribution of ms (nearest-rank percentiles).
func summarize(ms []float64) Summary {
	if len(ms) == 0 {
		return Summary{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	return Summary{Min: s[0], P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: s[len(s)-1], Mean: sum / float64(len(s))}
}

func ratio(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return b / a
}

func ratios(a, b FunctionRuns) Ratios {
	return Ratios{
		SerialP50:     ratio(a.Serial.Summary.P50, b.Serial.Summary.P50),
		ConcurrentP50: ratio(a.Concurrent.Summary.P50, b.Concurrent.Summary.P50),
		Throughput:    ratio(a.Concurrent.Throughput, b.Concurrent.Throughput),
		ColdStart:     ratio(a.ColdStartMs, b.ColdStartMs),
		ArtifactBytes: ratio(float64(a.Function.ArtifactBytes), float64(b.Function.ArtifactBytes)),
	}
}

// runner runs comparisons, at most one per function at a time.
type runner struct {
	b        provider.Backend
	base     string
	limits   Limits
	describe func(context.Context, provider.FunctionStatus) Function
	log      *slog.Logger
	client   *http.Client

	mu       sync.Mutex
	runs     map[string]*run
	busy     map[string]string // function (name.namespace) → id of its running comparison
	finished []string          // ids of finished comparisons, oldest first
	wg       sync.WaitGroup
}

// run is one comparison; snap is guarded by the runner's mu.
type run struct {
	snap   Snapshot
	cancel context.CancelCauseFunc
}

var errCancelled = errors.New("cancelled from the console")

func newRunner(b provider.Backend, base string, limits Limits, describe func(context.Context, provider.FunctionStatus) Function, log *slog.Logger) *runner {
	return &runner{
		b: b, base: strings.TrimSuffix(base, "/"), limits: limits, describe: describe, log: log,
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: limits.MaxConcurrency,
			IdleConnTimeout:     30 * time.Second,
		}},
		runs: map[string]*run{},
		busy: map[string]string{},
	}
}

// validate fills the request's defaults and checks it against the limits.
func (r *runner) validate(req *CompareRequest, defNS string) error {
	for _, t := range []*Target{&req.A, &req.B} {
		if t.Namespace == "" {
			t.Namespace = defNS
		}
		if err := provider.ValidateName("function", t.Name); err != nil {
			return fmt.Errorf("comparison: %w", err)
		}
	}
	if req.A == req.B {
		return fmt.Errorf("comparison: pick two different functions, not %s twice: %w", req.A, provider.ErrInvalid)
	}
	if req.Calls < 1 || req.Calls > r.limits.MaxCalls {
		return fmt.Errorf("comparison: calls must be 1 to %d, not %d: %w", r.limits.MaxCalls, req.Calls, provider.ErrInvalid)
	}
	if req.Concurrency < 1 || req.Concurrency > r.limits.MaxConcurrency {
		return fmt.Errorf("comparison: concurrency must be 1 to %d, not %d: %w", r.limits.MaxConcurrency, req.Concurrency, provider.ErrInvalid)
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	switch req.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return fmt.Errorf("comparison: method must be GET, POST or PUT, not %q: %w", req.Method, provider.ErrInvalid)
	}
	if req.Path == "" {
		req.Path = "/"
	}
	if !strings.HasPrefix(req.Path, "/") {
		return fmt.Errorf("comparison: path %q must start with /: %w", req.Path, provider.ErrInvalid)
	}
	return nil
}

// start checks the request and both functions and runs the comparison in
// the background.
//
// # Errors
// provider.ErrInvalid for a request out of bounds, provider.ErrNotFound for
// an unknown function, provider.ErrAlreadyExists when one of the functions
// is already being compared.
func (r *runner) start(ctx context.Context, req CompareRequest, defNS string) (Snapshot, error) {
	if err := r.validate(&req, defNS); err != nil {
		return Snapshot{}, err
	}
	var fns [2]Function
	for i, t := range []Target{req.A, req.B} {
		st, err := r.b.Function(ctx, t.Name, t.Namespace)
		if err != nil {
			return Snapshot{}, fmt.Errorf("comparison: %w", err)
		}
		fns[i] = r.describe(ctx, st)
	}
	total := 4 * req.Calls
	if req.ColdStart {
		total += 2
	}
	id := newID()
	rctx, cancel := context.WithCancelCause(context.Background())
	rn := &run{cancel: cancel, snap: Snapshot{
		ID: id, State: StateRunning, Request: req, Limits: r.limits, Started: time.Now(), Total: total,
		Results: [2]FunctionRuns{{Function: fns[0]}, {Function: fns[1]}},
	}}

	r.mu.Lock()
	for _, t := range []Target{req.A, req.B} {
		if other, ok := r.busy[t.String()]; ok {
			r.mu.Unlock()
			cancel(nil)
			return Snapshot{}, fmt.Errorf("comparison: %s is already being compared (comparison %s): cancel it or wait: %w", t, other, provider.ErrAlreadyExists)
		}
	}
	r.busy[req.A.String()], r.busy[req.B.String()] = id, id
	r.runs[id] = rn
	snap := rn.snap
	r.wg.Add(1)
	r.mu.Unlock()

	go func() {
		defer r.wg.Done()
		tctx, stop := context.WithTimeoutCause(rctx, r.limits.MaxDuration, fmt.Errorf("stopped after the limit of %v", r.limits.MaxDuration))
		defer stop()
		r.execute(tctx, rn)
		r.finish(rn, context.Cause(tctx))
	}()
	return snap, nil
}

// finish records the end of a comparison and frees its functions.
func (r *runner) finish(rn *run, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	s := &rn.snap
	s.Finished = &now
	switch {
	case errors.Is(cause, errCancelled):
		s.State = StateCancelled
	case cause != nil:
		s.State, s.Error = StateFailed, cause.Error()
	default:
		s.State = StateDone
	}
	s.Ratios = ratios(s.Results[0], s.Results[1])
	delete(r.busy, s.Request.A.String())
	delete(r.busy, s.Request.B.String())
	rn.cancel(nil)
	r.finished = append(r.finished, s.ID)
	if len(r.finished) > keptFinished {
		delete(r.runs, r.finished[0])
		r.finished = r.finished[1:]
	}
	r.log.Info("comparison finished", "id", s.ID, "a", s.Request.A.String(), "b", s.Request.B.String(), "state", s.State, "calls", s.Done)
}

// execute runs the phases: cold starts, then the serial calls alternating
// between A and B (so both see the same machine load), then the concurrent
// calls of A, then of B.
func (r *runner) execute(ctx context.Context, rn *run) {
	req := rn.snap.Request
	targets := []Target{req.A, req.B}
	if req.ColdStart {
		for i, t := range targets {
			ms, err := r.coldStart(ctx, t, req)
			r.update(rn, func(s *Snapshot) {
				s.Results[i].ColdStartMs = ms
				if err != nil {
					s.Results[i].ColdError = err.Error()
				}
				s.Done++
			})
		}
	}
	var serial [2]phaseRecorder
	start := time.Now()
	for n := 0; n < req.Calls && ctx.Err() == nil; n++ {
		for i, t := range targets {
			d, err := r.call(ctx, t, req)
			serial[i].add(d, err)
			r.update(rn, func(s *Snapshot) { s.Done++ })
		}
	}
	wall := time.Since(start) / 2
	r.update(rn, func(s *Snapshot) {
		for i := range serial {
			s.Results[i].Serial = serial[i].phase(wall)
		}
	})
	for i, t := range targets {
		if ctx.Err() != nil {
			return
		}
		p := r.concurrent(ctx, t, req, func() { r.update(rn, func(s *Snapshot) { s.Done++ }) })
		r.update(rn, func(s *Snapshot) { s.Results[i].Concurrent = p })
	}
}

func (r *runner) update(rn *run, f func(*Snapshot)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&rn.snap)
}

// coldStart scales t to zero, waits until no replica is available and
// times one call (which scales it from zero). A function that had more
// than one replica gets its count back.
func (r *runner) coldStart(ctx context.Context, t Target, req CompareRequest) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.limits.ColdStartTimeout)
	defer cancel()
	st, err := r.b.Function(ctx, t.Name, t.Namespace)
	if err != nil {
		return 0, fmt.Errorf("cold start of %s: %w", t, err)
	}
	if err := r.b.Scale(ctx, t.Name, t.Namespace, 0); err != nil {
		return 0, fmt.Errorf("cold start of %s: scale to zero: %w", t, err)
	}
	for {
		cur, err := r.b.Function(ctx, t.Name, t.Namespace)
		if err != nil {
			return 0, fmt.Errorf("cold start of %s: %w", t, err)
		}
		if cur.AvailableReplicas == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("cold start of %s: still %d replicas after scaling to zero: %w", t, cur.AvailableReplicas, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	d, err := r.call(ctx, t, req)
	if st.Replicas > 1 {
		if serr := r.b.Scale(ctx, t.Name, t.Namespace, st.Replicas); serr != nil {
			err = errors.Join(err, fmt.Errorf("scale %s back to %d: %w", t, st.Replicas, serr))
		}
	}
	if err != nil {
		return 0, err
	}
	return ms(d), nil
}

// concurrent makes req.Calls calls to t with req.Concurrency in flight.
func (r *runner) concurrent(ctx context.Context, t Target, req CompareRequest, progress func()) Phase {
	var (
		rec  phaseRecorder
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan struct{})
	)
	start := time.Now()
	for range req.Concurrency {
		wg.Go(func() {
			for range next {
				d, err := r.call(ctx, t, req)
				mu.Lock()
				rec.add(d, err)
				mu.Unlock()
				progress()
			}
		})
	}
feed:
	for range req.Calls {
		select {
		case next <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return rec.phase(time.Since(start))
}

// maxAnswer is the most of a function's answer a comparison reads.
const maxAnswer = 1 << 20

// call makes one call to t through the provider and returns its round
// trip; an answer of 400 or more is an error.
func (r *runner) call(ctx context.Context, t Target, req CompareRequest) (time.Duration, error) {
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, r.base+"/function/"+t.Name+"."+t.Namespace+req.Path, body)
	if err != nil {
		return 0, fmt.Errorf("call %s: %w", t, err)
	}
	start := time.Now()
	resp, err := r.client.Do(hreq)
	if err != nil {
		return 0, fmt.Errorf("call %s: %w", t, err)
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("call %s: read answer: %w", t, err)
	}
	if resp.StatusCode >= http.StatusBadRequest {
		return 0, fmt.Errorf("call %s: %d %s", t, resp.StatusCode, bytes.TrimSpace(msg[:min(len(msg), 200)]))
	}
	return d, nil
}

// phaseRecorder collects a phase's calls.
type phaseRecorder struct{ p Phase }

func (pr *phaseRecorder) add(d time.Duration, err error) {
	if err != nil {
		if pr.p.Errors == 0 {
			pr.p.FirstError = err.Error()
		}
		pr.p.Errors++
		return
	}
	pr.p.LatenciesMs = append(pr.p.LatenciesMs, ms(d))
}

func (pr *phaseRecorder) phase(wall time.Duration) Phase {
	p := pr.p
	if p.LatenciesMs == nil {
		p.LatenciesMs = []float64{}
	}
	p.WallMs = ms(wall)
	if wall > 0 {
		p.Throughput = float64(len(p.LatenciesMs)) / wall.Seconds()
	}
	p.Summary = summarize(p.LatenciesMs)
	return p
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// get returns a comparison's snapshot.
//
// # Errors
// provider.ErrNotFound for an unknown (or long finished) comparison.
func (r *runner) get(id string) (Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rn, ok := r.runs[id]
	if !ok {
		return Snapshot{}, fmt.Errorf("comparison %q: %w", id, provider.ErrNotFound)
	}
	return rn.snap, nil
}

// list returns the comparisons kept, newest first, without their latencies.
func (r *runner) list() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Snapshot, 0, len(r.runs))
	for _, rn := range r.runs {
		s := rn.snap
		for i := range s.Results {
			s.Results[i].Serial.LatenciesMs = nil
			s.Results[i].Concurrent.LatenciesMs = nil
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return b.Started.Compare(a.Started) })
	return out
}

// cancel stops a running comparison; it returns at once, the comparison's
// state turns to cancelled when its calls in flight have ended.
//
// # Errors
// provider.ErrNotFound for an unknown comparison.
func (r *runner) cancel(id string) (Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rn, ok := r.runs[id]
	if !ok {
		return Snapshot{}, fmt.Errorf("comparison %q: %w", id, provider.ErrNotFound)
	}
	rn.cancel(errCancelled)
	return rn.snap, nil
}

// close cancels every running comparison and waits for them.
func (r *runner) close() {
	r.mu.Lock()
	for _, rn := range r.runs {
		rn.cancel(errCancelled)
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.client.CloseIdleConnections()
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
