package k8s

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

// logBuffer is how many lines may wait in a log channel.
const logBuffer = 256

// waitingPrefix starts the lines that say why a pod's container is not running.
const waitingPrefix = "faas-wasm: "

// maxLogLine is the longest log line read; longer lines are cut.
const maxLogLine = 1 << 20

// Logs streams the pod logs of a function's replicas as LogMessages
// (instance = pod name). Without Follow, the lines of every pod are merged
// by time, Tail keeps the newest, and the channel closes. With Follow, each
// pod's tail is sent and then new lines as they come, from pods that start
// later too, until ctx ends. A pod whose container cannot start (an image
// pull failure, a crash loop) yields a line saying why.
//
// # Errors
// provider.ErrNotFound for an unknown function or namespace.
func (b *Cluster) Logs(ctx context.Context, req provider.LogRequest) (<-chan provider.LogMessage, error) {
	req.Namespace = b.nsOrDefault(req.Namespace)
	if _, err := b.Function(ctx, req.Name, req.Namespace); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	out := make(chan provider.LogMessage, logBuffer)
	if req.Follow {
		go b.follow(ctx, req, out)
		return out, nil
	}
	go func() {
		defer close(out)
		var all []provider.LogMessage
		for _, pod := range b.functionPods(req) {
			lines, _ := b.podLines(ctx, req, pod, time.Time{})
			all = append(all, lines...)
		}
		slices.SortStableFunc(all, func(a, b provider.LogMessage) int { return a.Timestamp.Compare(b.Timestamp) })
		if req.Tail > 0 && len(all) > req.Tail {
			all = all[len(all)-req.Tail:]
		}
		for _, m := range all {
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// functionPods returns the names of a function's pods (only req.Instance when set).
func (b *Cluster) functionPods(req provider.LogRequest) []string {
	pods, err := b.pods.Pods(req.Namespace).List(functionSelector(req.Name))
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods {
		if req.Instance == "" || req.Instance == p.Name {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// podLines reads the stored lines of one pod newer than after (and
// req.Since). A container that is not running yields one line saying why.
func (b *Cluster) podLines(ctx context.Context, req provider.LogRequest, pod string, after time.Time) ([]provider.LogMessage, error) {
	var out []provider.LogMessage
	err := b.streamPod(ctx, req, pod, after, false, func(m provider.LogMessage) bool {
		out = append(out, m)
		return true
	})
	if m, ok := waitingLine(err, req, pod, b.opts.now()); ok {
		out = append(out, m)
	}
	return out, err
}

// waitingError says why a pod has no log to stream yet (its container is
// waiting, e.g. for an image that cannot be pulled).
type waitingError struct{ why string }

func (e *waitingError) Error() string { return e.why }

// waitingLine turns a waitingError into a log line of the pod; ok is false
// for any other error.
func waitingLine(err error, req provider.LogRequest, pod string, now time.Time) (provider.LogMessage, bool) {
	var w *waitingError
	if !errors.As(err, &w) {
		return provider.LogMessage{}, false
	}
	return provider.LogMessage{Name: req.Name, Namespace: req.Namespace, Instance: pod, Timestamp: now.UTC(), Text: w.why}, true
}

// streamPod reads one pod's log through the API and calls send for each
// line newer than after and req.Since, until the stream ends or send
// returns false.
//
// # Errors
// A *waitingError when the pod's container is not running; API errors.
func (b *Cluster) streamPod(ctx context.Context, req provider.LogRequest, pod string, after time.Time, follow bool,
	send func(provider.LogMessage) bool) error {
	opts := &corev1.PodLogOptions{Container: req.Name, Timestamps: true, Follow: follow}
	since := req.Since
	if after.After(since) {
		since = after
	}
	if !since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: since.Truncate(time.Second)}
	} else if req.Tail > 0 {
		opts.TailLines = ptr(int64(req.Tail))
	}
	rc, err := b.client.CoreV1().Pods(req.Namespace).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		if apierrors.IsBadRequest(err) || apierrors.IsNotFound(err) {
			if why := b.podWaiting(req.Namespace, pod); why != "" {
				return &waitingError{why: why}
			}
		}
		return apiError(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	for sc.Scan() {
		m := parseLogLine(sc.Text())
		if (!after.IsZero() && !m.Timestamp.After(after)) || (!req.Since.IsZero() && m.Timestamp.Before(req.Since)) {
			continue
		}
		m.Name, m.Namespace, m.Instance = req.Name, req.Namespace, pod
		if !send(m) {
			return nil
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF && ctx.Err() == nil {
		return err
	}
	return nil
}

// parseLogLine splits a kubelet log line "RFC3339Nano text".
func parseLogLine(line string) provider.LogMessage {
	ts, text, ok := strings.Cut(line, " ")
	if t, err := time.Parse(time.RFC3339Nano, ts); ok && err == nil {
		return provider.LogMessage{Timestamp: t, Text: text}
	}
	return provider.LogMessage{Text: line}
}

// podWaiting describes why a pod's containers are not running, or "".
func (b *Cluster) podWaiting(ns, pod string) string {
	p, err := b.pods.Pods(ns).Get(pod)
	if err != nil {
		return ""
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" {
			return fmt.Sprintf(waitingPrefix+"container %s is waiting: %s: %s", c.Name, w.Reason, w.Message)
		}
	}
	if p.Status.Phase == corev1.PodPending {
		return waitingPrefix + "pod is pending: " + p.Status.Message
	}
	return ""
}

// follow streams the logs of a function's pods, old and new, until ctx ends.
func (b *Cluster) follow(ctx context.Context, req provider.LogRequest, out chan<- provider.LogMessage) {
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(out)
	}()
	send := func(m provider.LogMessage) bool {
		select {
		case out <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	started := map[string]bool{}
	t := time.NewTicker(b.opts.pollInterval)
	defer t.Stop()
	for {
		for _, pod := range b.functionPods(req) {
			if started[pod] {
				continue
			}
			started[pod] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.followPod(ctx, req, pod, send)
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// followPod follows one pod's log, reopening the stream after a container
// restart or an API error, until the pod is gone or ctx ends. A reason for
// waiting is sent once per change.
func (b *Cluster) followPod(ctx context.Context, req provider.LogRequest, pod string, send func(provider.LogMessage) bool) {
	var last time.Time
	var lastWhy string
	for ctx.Err() == nil {
		err := b.streamPod(ctx, req, pod, last, true, func(m provider.LogMessage) bool {
			if m.Timestamp.After(last) {
				last = m.Timestamp
			}
			return send(m)
		})
		if ctx.Err() != nil {
			return
		}
		if m, ok := waitingLine(err, req, pod, b.opts.now()); ok && m.Text != lastWhy {
			lastWhy = m.Text
			if !send(m) {
				return
			}
		}
		if _, gone := b.pods.Pods(req.Namespace).Get(pod); apierrors.IsNotFound(gone) {
			return
		}
		if err != nil {
			b.log.Debug("pod log stream", "pod", pod, "namespace", req.Namespace, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.opts.pollInterval):
		}
	}
}
