package k8s

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestParseLogLine(t *testing.T) {
	ts := time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)
	tests := []struct {
		line string
		want provider.LogMessage
	}{
		{"2026-11-26T01:02:03.456789Z hello world", provider.LogMessage{Timestamp: ts, Text: "hello world"}},
		{"2026-11-26T01:02:03.456789Z ", provider.LogMessage{Timestamp: ts, Text: ""}},
		{"no timestamp here", provider.LogMessage{Text: "no timestamp here"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := parseLogLine(tt.line)
			if !got.Timestamp.Equal(tt.want.Timestamp) || got.Text != tt.want.Text {
				t.Fatalf("parseLogLine = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The fake clientset answers every log request with the line "fake logs";
// these tests cover the merging, instance filter and waiting reasons above it.
func TestLogs(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c, WithLogPollInterval(10*time.Millisecond))
	deployed(t, b, provider.FunctionDeployment{Service: "f", Image: "img:1"})
	for _, name := range []string{"f-1", "f-2"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: provider.DefaultNamespace,
			Labels: map[string]string{provider.LabelFunction: "f", LabelManagedBy: ManagedBy}}}
		if _, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "pods cached", func() bool {
		return len(b.functionPods(provider.LogRequest{Name: "f", Namespace: provider.DefaultNamespace})) == 2
	})
	collect := func(req provider.LogRequest) []provider.LogMessage {
		ch, err := b.Logs(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []provider.LogMessage
		for m := range ch {
			out = append(out, m)
		}
		return out
	}
	tests := []struct {
		name string
		req  provider.LogRequest
		want []string // instances
	}{
		{"all replicas", provider.LogRequest{Name: "f"}, []string{"f-1", "f-2"}},
		{"one instance", provider.LogRequest{Name: "f", Instance: "f-2"}, []string{"f-2"}},
		{"tail 1", provider.LogRequest{Name: "f", Tail: 1}, []string{"f-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(tt.req)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines %+v, want instances %v", len(got), got, tt.want)
			}
			for i, m := range got {
				if m.Instance != tt.want[i] || m.Text != "fake logs" || m.Name != "f" || m.Namespace != provider.DefaultNamespace {
					t.Errorf("line %d = %+v", i, m)
				}
			}
		})
	}
	t.Run("unknown function", func(t *testing.T) {
		if _, err := b.Logs(ctx, provider.LogRequest{Name: "nope"}); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("Logs = %v, want ErrNotFound", err)
		}
	})
	t.Run("follow ends with ctx and picks up new pods", func(t *testing.T) {
		fctx, cancel := context.WithCancel(ctx)
		ch, err := b.Logs(fctx, provider.LogRequest{Name: "f", Follow: true})
		if err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "f-3", Namespace: provider.DefaultNamespace,
			Labels: map[string]string{provider.LabelFunction: "f", LabelManagedBy: ManagedBy}}}
		if _, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		timeout := time.After(5 * time.Second)
		for len(seen) < 3 {
			select {
			case m := <-ch:
				seen[m.Instance] = true
			case <-timeout:
				t.Fatalf("instances seen %v, want f-1, f-2, f-3", seen)
			}
		}
		cancel()
		for range ch {
		}
	})
}

func TestWaitingLine(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "f-1", Namespace: provider.DefaultNamespace, Labels: map[string]string{
			provider.LabelFunction: "f", LabelManagedBy: ManagedBy}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "f", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}},
		}}},
	}
	if _, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod cached", func() bool { return b.podWaiting(provider.DefaultNamespace, "f-1") != "" })
	req := provider.LogRequest{Name: "f", Namespace: provider.DefaultNamespace}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"waiting", &waitingError{why: b.podWaiting(provider.DefaultNamespace, "f-1")}, true},
		{"wrapped waiting", fmt.Errorf("stream: %w", &waitingError{why: "x"}), true},
		{"other error", errors.New("boom"), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := waitingLine(tt.err, req, "f-1", now)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (m.Instance != "f-1" || m.Name != "f" || !m.Timestamp.Equal(now) || m.Text == "") {
				t.Errorf("line %+v", m)
			}
		})
	}
	if got, want := b.podWaiting(provider.DefaultNamespace, "f-1"), "faas-wasm: container f is waiting: ErrImagePull: not found"; got != want {
		t.Errorf("podWaiting = %q, want %q", got, want)
	}
}
