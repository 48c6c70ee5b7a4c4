package faascli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
)

// TestFaasCLIRequests replays every row of requests against one provider
// in local mode, in order, and checks each status and answer as faas-cli
// reads it.
func TestFaasCLIRequests(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	img, err := oci.WasmImage(echoWasm, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	image := registry + "/echo:1"
	if _, err := oci.Push(t.Context(), img, image); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t)
	for i, r := range requests(time.Now()) {
		attempts := 1
		if r.retry {
			attempts = 60
		}
		var err error
		for a := range attempts {
			if a > 0 {
				time.Sleep(time.Second)
			}
			if err = g.replay(t.Context(), r, image); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("%d. faas-cli %s (%s): %s %s: %v", i+1, r.verb, r.source, r.method, r.target, err)
		}
		t.Logf("%d. faas-cli %s: %s %s → %d", i+1, r.verb, r.method, r.target, r.want)
	}
}

// replay sends r as faas-cli does and checks the answer.
func (g *gateway) replay(ctx context.Context, r row, image string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(strings.ReplaceAll(r.body, "{{image}}", image))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, g.URL+r.target, body)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", r.ua)
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	switch r.auth {
	case basicAuth:
		req.SetBasicAuth(g.User, g.Password)
	case wrongPassword:
		req.SetBasicAuth(g.User, g.Password+"x")
	case emptyBearer:
		req.Header.Set("Authorization", "Bearer ")
	}
	for i := 0; i+1 < len(r.header); i += 2 {
		req.Header.Set(r.header[i], r.header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var data []byte
	if r.stream {
		line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("first line of the stream: %w", err)
		}
		data = line
	} else if data, err = io.ReadAll(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != r.want {
		return fmt.Errorf("status %d %.300q, want %d", resp.StatusCode, data, r.want)
	}
	if r.check != nil {
		if err := r.check(data); err != nil {
			return fmt.Errorf("answer %.600s: %w", data, err)
		}
	}
	return nil
}

// decodeAs decodes data into a T as encoding/json does in faas-cli.
func decodeAs[T any](data []byte) (T, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

func status(ok func(functionStatus) bool) func([]byte) error {
	return func(data []byte) error {
		s, err := decodeAs[functionStatus](data)
		if err != nil {
			return err
		}
		if !ok(s) {
			return errors.New("not the expected status")
		}
		return nil
	}
}

// deployedFields checks that describe shows every field of the stack
// deploy, as faas-cli describe prints them.
func deployedFields(data []byte) error {
	s, err := decodeAs[functionStatus](data)
	if err != nil {
		return err
	}
	var problems []string
	check := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}
	check(s.EnvVars["GREETING"] == "hi", "envVars")
	check(slices.Equal(s.Constraints, []string{"node.platform.os == linux"}), "constraints")
	check(slices.Equal(s.Secrets, []string{"api-key", "cert"}), "secrets")
	check(s.Labels != nil && (*s.Labels)["team"] == "a" && (*s.Labels)["com.openfaas.scale.min"] == "1", "labels")
	check(s.Annotations != nil && (*s.Annotations)["note"] == "n" && (*s.Annotations)["com.openfaas.runtime"] == "wasm", "annotations")
	check(s.Limits != nil && *s.Limits == resources{Memory: "128Mi", CPU: "500m"}, "limits")
	check(s.Requests != nil && *s.Requests == resources{Memory: "64Mi"}, "requests")
	check(s.ReadOnlyRootFilesystem, "readOnlyRootFilesystem")
	check(s.AvailableReplicas > 0 && !s.CreatedAt.IsZero(), "availableReplicas, createdAt")
	if len(problems) > 0 {
		return fmt.Errorf("fields not as deployed: %s", strings.Join(problems, ", "))
	}
	return nil
}

func listHas(name, namespace string) func([]byte) error {
	return func(data []byte) error {
		list, err := decodeAs[[]functionStatus](data)
		if err != nil {
			return err
		}
		for _, s := range list {
			if s.Name == name && s.Namespace == namespace && s.Image != "" && s.Replicas >= 1 && !s.CreatedAt.IsZero() {
				return nil
			}
		}
		return fmt.Errorf("no %s.%s with image, replicas and createdAt", name, namespace)
	}
}

func secretNames(want ...string) func([]byte) error {
	return func(data []byte) error {
		list, err := decodeAs[[]secret](data)
		if err != nil {
			return err
		}
		var names []string
		for _, s := range list {
			if s.Value != "" || len(s.RawValue) > 0 {
				return fmt.Errorf("secret %s listed with its value", s.Name)
			}
			names = append(names, s.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			return fmt.Errorf("secrets %v, want %v", names, want)
		}
		return nil
	}
}

func namespaces(want ...string) func([]byte) error {
	return func(data []byte) error {
		list, err := decodeAs[[]string](data)
		if err != nil {
			return err
		}
		for _, w := range want {
			if !slices.Contains(list, w) {
				return fmt.Errorf("namespaces %v lack %s", list, w)
			}
		}
		return nil
	}
}

func namespace(ok func(functionNamespace) bool) func([]byte) error {
	return func(data []byte) error {
		n, err := decodeAs[functionNamespace](data)
		if err != nil {
			return err
		}
		if !ok(n) {
			return errors.New("not the expected namespace")
		}
		return nil
	}
}

// logLines decodes the NDJSON stream as proxy/logs.go does and checks the
// count (at least least, at most most when most ≥ 0) and that every
// message names its function, namespace and instance.
func logLines(least, most int, name, namespace string) func([]byte) error {
	return func(data []byte) error {
		dec := json.NewDecoder(bytes.NewReader(data))
		n := 0
		for dec.More() {
			var m logMessage
			if err := dec.Decode(&m); err != nil {
				return err
			}
			if m.Name != name || m.Namespace != namespace || m.Instance == "" || m.Text == "" || m.Timestamp.IsZero() {
				return fmt.Errorf("message %+v lacks a field faas-cli prints", m)
			}
			n++
		}
		if n < least || (most >= 0 && n > most) {
			return fmt.Errorf("%d messages, want %d to %d", n, least, most)
		}
		return nil
	}
}

func gatewayInfoOK(data []byte) error {
	g, err := decodeAs[gatewayInfo](data)
	if err != nil {
		return err
	}
	if g.Provider == nil || g.Provider.Name != "faas-wasm" || g.Provider.Orchestration != "local" || g.Provider.Version == nil ||
		g.Provider.Version.Release == "" || g.Version == nil || g.Arch == "" {
		return errors.New("faas-cli version would print an incomplete provider or gateway")
	}
	return nil
}

func contains(parts ...string) func([]byte) error {
	return func(data []byte) error {
		for _, p := range parts {
			if !bytes.Contains(data, []byte(p)) {
				return fmt.Errorf("lacks %q", p)
			}
		}
		return nil
	}
}

func equals(want string) func([]byte) error {
	return func(data []byte) error {
		if string(data) != want {
			return fmt.Errorf("%q, want %q", data, want)
		}
		return nil
	}
}
