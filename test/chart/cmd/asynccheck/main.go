// Command asynccheck checks the chart's asynchronous invocations on the test
// cluster (run by test/chart/cluster.sh):
//
//	go run ./cmd/asynccheck -provider http://SERVICE_IP:8081 -namespace FN_NS \
//	    -functions prime-wasm,prime-native -query n=50 -listen 10.243.0.1:0 \
//	    -disrupt 'provider=kubectl ... delete pod ...' -disrupt 'nats=...'
//
// It serves a callback receiver on -listen (an address the provider's pods
// reach: the results are posted from the provider pod) and then:
//
//  1. queues one call per function on /async-function/NAME.NS?QUERY and
//     checks the 202 with its X-Call-Id, then that the callback gets the
//     function's answer (the same body /function/ answers) with the OpenFaaS
//     headers X-Call-Id, X-Function-Status 200, X-Function-Name,
//     X-Duration-Seconds and X-Start-Time;
//  2. for each -disrupt NAME=COMMAND: queues -calls calls per function, waits
//     until some results arrived and the provider's faaswasm_async_queue_depth
//     shows calls still queued, runs COMMAND (e.g. deletes the provider pod
//     and returns when its replacement is Ready), checks that calls were still
//     waiting when COMMAND returned, and waits until every queued call's
//     result reached the callback (repeats allowed: at least once);
//  3. reads the provider's /metrics: queue depth back to 0, and the calls and
//     callbacks counted by outcome.
//
// The receiver answers each callback after -callback-delay, which keeps
// calls in flight (a call is done when its callback is) so the queue is deep
// when a disruption hits. It exits 1 on the first check that fails.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "asynccheck:", err)
		os.Exit(1)
	}
}

type checker struct {
	api, ns, query string
	fns            []string
	recv           *receiver
	client         *http.Client
	timeout        time.Duration
}

func run(args []string) error {
	fs := flag.NewFlagSet("asynccheck", flag.ContinueOnError)
	api := fs.String("provider", "", "the provider's base URL (its Service: it outlives a pod)")
	ns := fs.String("namespace", "", "function namespace")
	fnList := fs.String("functions", "", "NAME,... functions to call")
	query := fs.String("query", "", "query string of every call")
	listen := fs.String("listen", "", "HOST:PORT of the callback receiver, reachable from the provider's pods")
	calls := fs.Int("calls", 60, "calls per function queued before each disruption")
	delay := fs.Duration("callback-delay", 100*time.Millisecond, "how long the receiver takes to answer a callback")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for the results of one step")
	var disrupt listFlag
	fs.Var(&disrupt, "disrupt", "NAME=COMMAND run (by sh -c) while calls are queued (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *api == "" || *ns == "" || *fnList == "" || *listen == "" {
		return errors.New("need -provider, -namespace, -functions and -listen")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("callback receiver: %w", err)
	}
	recv := &receiver{delay: *delay, results: map[string][]result{}, arrived: make(chan struct{}, 1)}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()
	c := &checker{api: strings.TrimSuffix(*api, "/"), ns: *ns, query: *query, fns: strings.Split(*fnList, ","),
		recv: recv, client: &http.Client{Timeout: 30 * time.Second}, timeout: *timeout}
	callback := "http://" + ln.Addr().String() + "/cb"
	fmt.Printf("callback receiver on %s\n", callback)

	if err := c.eachKindOnce(callback); err != nil {
		return err
	}
	for _, d := range disrupt {
		name, cmd, ok := strings.Cut(d, "=")
		if !ok {
			return fmt.Errorf("-disrupt %q: not NAME=COMMAND", d)
		}
		if err := c.survive(callback, name, cmd, *calls); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return c.metricsSettled()
}

// eachKindOnce: one call per function; the callback carries the function's
// answer and the OpenFaaS headers.
func (c *checker) eachKindOnce(callback string) error {
	for _, fn := range c.fns {
		want, err := c.syncAnswer(fn)
		if err != nil {
			return err
		}
		start := time.Now()
		id, err := c.submit(fn, callback)
		if err != nil {
			return err
		}
		res, err := c.recv.await(id, c.timeout)
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		h := res.header
		switch {
		case h.Get("X-Call-Id") != id:
			return fmt.Errorf("%s: callback X-Call-Id %q, want %q", fn, h.Get("X-Call-Id"), id)
		case h.Get("X-Function-Status") != "200":
			return fmt.Errorf("%s: callback X-Function-Status %q, body %q", fn, h.Get("X-Function-Status"), res.body)
		case h.Get("X-Function-Name") != fn:
			return fmt.Errorf("%s: callback X-Function-Name %q", fn, h.Get("X-Function-Name"))
		case res.body != want:
			return fmt.Errorf("%s: callback body %q, /function/ answers %q", fn, res.body, want)
		}
		d, err := strconv.ParseFloat(h.Get("X-Duration-Seconds"), 64)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s: callback X-Duration-Seconds %q", fn, h.Get("X-Duration-Seconds"))
		}
		st, err := strconv.ParseInt(h.Get("X-Start-Time"), 10, 64)
		if err != nil || time.Unix(0, st).Before(start.Add(-time.Minute)) {
			return fmt.Errorf("%s: callback X-Start-Time %q", fn, h.Get("X-Start-Time"))
		}
		fmt.Printf("%s: 202 X-Call-Id %s; callback after %.2f s: X-Function-Status 200, X-Function-Name %s, X-Duration-Seconds %s, X-Start-Time %s, Content-Type %q, body = /function/'s (%d bytes)\n",
			fn, id, time.Since(start).Seconds(), fn, h.Get("X-Duration-Seconds"), h.Get("X-Start-Time"), h.Get("Content-Type"), len(res.body))
	}
	return nil
}

// survive queues calls, runs cmd while some are still queued and waits for
// every result.
func (c *checker) survive(callback, name, cmd string, calls int) error {
	var ids []string
	for range calls {
		for _, fn := range c.fns {
			id, err := c.submit(fn, callback)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
	}
	fmt.Printf("%s: queued %d calls\n", name, len(ids))
	deadline := time.Now().Add(c.timeout)
	var depth float64
	for {
		got, _, _ := c.recv.count(ids)
		m, err := c.metrics()
		if err == nil {
			depth = m.get("faaswasm_async_queue_depth")
		}
		if got >= len(c.fns) && depth > 0 {
			fmt.Printf("%s: %d of %d results in, queue depth %.0f: running %q\n", name, got, len(ids), depth, cmd)
			break
		}
		if depth == 0 && got == len(ids) || time.Now().After(deadline) {
			return fmt.Errorf("no moment with results in and calls queued (%d results, depth %.0f): slow the receiver", got, depth)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t0 := time.Now()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", cmd, err, out)
	}
	got, _, _ := c.recv.count(ids)
	fmt.Printf("%s: the command returned after %.1f s with %d of %d results in: %s\n", name, time.Since(t0).Seconds(), got, len(ids), strings.TrimSpace(string(out)))
	if got == len(ids) {
		return errors.New("every result was in before the command returned: the disruption hit no queued call (queue more calls or slow the receiver)")
	}
	for {
		got, repeats, failed := c.recv.count(ids)
		if failed > 0 {
			return fmt.Errorf("%d results with an X-Function-Status other than 200", failed)
		}
		if got == len(ids) {
			fmt.Printf("%s: all %d results reached the callback %.1f s after the disruption (%d delivered more than once: at least once)\n",
				name, len(ids), time.Since(t0).Seconds(), repeats)
			return nil
		}
		if time.Since(t0) > c.timeout {
			return fmt.Errorf("%d of %d results after %s: calls lost", got, len(ids), c.timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metricsSettled: the provider's /metrics shows the queue empty and the
// calls and callbacks by outcome.
func (c *checker) metricsSettled() error {
	deadline := time.Now().Add(c.timeout)
	for {
		m, err := c.metrics()
		if err == nil && m.get("faaswasm_async_queue_depth") == 0 {
			var lines []string
			for _, s := range m {
				if strings.HasPrefix(s.name, "faaswasm_async_calls_total") || strings.HasPrefix(s.name, "faaswasm_async_callbacks_total") ||
					strings.HasPrefix(s.name, "faaswasm_async_completion_seconds_count") {
					lines = append(lines, fmt.Sprintf("  %s %g", s.name, s.value))
				}
			}
			for _, fn := range c.fns {
				key := `function_name="` + fn + "." + c.ns + `"`
				if m.sum("faaswasm_async_calls_total", key, `outcome="succeeded"`) == 0 || m.sum("faaswasm_async_callbacks_total", key, `outcome="delivered"`) == 0 {
					return fmt.Errorf("/metrics counts no succeeded call and delivered callback of %s:\n%s", fn, strings.Join(lines, "\n"))
				}
			}
			fmt.Printf("the provider's /metrics: faaswasm_async_queue_depth 0\n%s\n", strings.Join(lines, "\n"))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queue depth not back to 0 within %s (%v)", c.timeout, err)
		}
		time.Sleep(time.Second)
	}
}

func (c *checker) syncAnswer(fn string) (string, error) {
	resp, err := c.client.Get(c.api + "/function/" + fn + "." + c.ns + "?" + c.query)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fn, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/function/%s: status %d %q %v", fn, resp.StatusCode, b, err)
	}
	return string(b), nil
}

// submit queues one call and returns its X-Call-Id.
func (c *checker) submit(fn, callback string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, c.api+"/async-function/"+fn+"."+c.ns+"?"+c.query, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Callback-Url", callback)
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("/async-function/%s: %w", fn, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	id := resp.Header.Get("X-Call-Id")
	if resp.StatusCode != http.StatusAccepted || id == "" {
		return "", fmt.Errorf("/async-function/%s: status %d, X-Call-Id %q: %s", fn, resp.StatusCode, id, b)
	}
	return id, nil
}

type sample struct {
	name  string // with labels, as exposed
	value float64
}

type samples []sample

func (m samples) get(name string) float64 {
	for _, s := range m {
		if s.name == name {
			return s.value
		}
	}
	return -1
}

// sum adds the samples of the metric name whose labels hold every part.
func (m samples) sum(name string, parts ...string) float64 {
	var t float64
	for _, s := range m {
		if !strings.HasPrefix(s.name, name+"{") {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(s.name, p)
		}
		if all {
			t += s.value
		}
	}
	return t
}

func (c *checker) metrics() (samples, error) {
	resp, err := c.client.Get(c.api + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", resp.StatusCode)
	}
	var m samples
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "faaswasm_async_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			return nil, fmt.Errorf("/metrics line %q", line)
		}
		m = append(m, sample{line[:i], v})
	}
	return m, sc.Err()
}

type result struct {
	header http.Header
	body   string
}

// receiver records the callbacks by X-Call-Id.
type receiver struct {
	delay   time.Duration
	mu      sync.Mutex
	results map[string][]result
	arrived chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	id := req.Header.Get("X-Call-Id")
	r.results[id] = append(r.results[id], result{req.Header.Clone(), string(b)})
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

func (r *receiver) await(id string, timeout time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		r.mu.Lock()
		res := r.results[id]
		r.mu.Unlock()
		if len(res) > 0 {
			return res[0], nil
		}
		select {
		case <-r.arrived:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return result{}, fmt.Errorf("no callback for call %s within %s", id, timeout)
		}
	}
}

// count returns how many of ids have a result, how many results were
// repeats and how many did not report status 200.
func (r *receiver) count(ids []string) (got, repeats, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		for i, res := range r.results[id] {
			if i == 0 {
				got++
			} else {
				repeats++
			}
			if res.header.Get("X-Function-Status") != "200" {
				failed++
			}
		}
	}
	return got, repeats, failed
}
