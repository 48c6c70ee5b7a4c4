package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// ErrStatus is wrapped by Client errors for an unexpected HTTP status.
var ErrStatus = errors.New("unexpected status")

// ErrNotFound is wrapped by Client errors for a 404 from /system/*.
var ErrNotFound = errors.New("not found")

// Client talks to the OpenFaaS provider API (or a gateway) of one base URL.
type Client struct {
	base      string
	user      string
	password  string
	namespace string
	http      *http.Client
}

// NewClient returns a client of the API at base (e.g. http://127.0.0.1:8080, local mode's default);
// user and password enable basic auth on /system/* when user is not empty.
func NewClient(base, user, password, namespace string) *Client {
	return &Client{base: base, user: user, password: password, namespace: namespace,
		http: &http.Client{Timeout: 2 * time.Minute}}
}

// Base returns the API's base URL.
func (c *Client) Base() string { return c.base }

// FunctionURL returns the invocation URL of name with query (may be empty).
func (c *Client) FunctionURL(name, query string) string {
	u := c.base + "/function/" + name + "." + c.namespace
	if query != "" {
		u += "?" + query
	}
	return u
}

func (c *Client) do(ctx context.Context, method, path string, body any, want ...int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return data, nil
		}
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%s %s: %w", method, path, ErrNotFound)
	}
	return nil, fmt.Errorf("%s %s: %w %d: %.200s", method, path, ErrStatus, resp.StatusCode, data)
}

// Info returns the provider's part of GET /system/info (a provider's or a
// gateway's answer, see provider.DecodeInfo).
//
// # Errors
//
// Transport errors, ErrStatus, or a JSON decoding error.
func (c *Client) Info(ctx context.Context) (provider.ProviderInfo, error) {
	data, err := c.do(ctx, http.MethodGet, "/system/info", nil, http.StatusOK)
	if err != nil {
		return provider.ProviderInfo{}, err
	}
	info, err := provider.DecodeInfo(data)
	if err != nil {
		return info, fmt.Errorf("system info: %w", err)
	}
	return info, nil
}

// Deploy creates a function (POST /system/functions).
//
// # Errors
//
// Transport errors, ErrStatus (409 when the name still exists).
func (c *Client) Deploy(ctx context.Context, d provider.FunctionDeployment) error {
	d.Namespace = c.namespace
	_, err := c.do(ctx, http.MethodPost, "/system/functions", d, http.StatusAccepted, http.StatusOK, http.StatusCreated)
	return err
}

// Delete removes a function (DELETE /system/functions).
//
// # Errors
//
// Transport errors, ErrNotFound, ErrStatus.
func (c *Client) Delete(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, "/system/functions",
		provider.DeleteFunctionRequest{FunctionName: name, Namespace: c.namespace},
		http.StatusAccepted, http.StatusOK)
	return err
}

// Scale sets the replica count (POST /system/scale-function/{name}).
//
// # Errors
//
// Transport errors, ErrNotFound, ErrStatus.
func (c *Client) Scale(ctx context.Context, name string, replicas uint64) error {
	_, err := c.do(ctx, http.MethodPost, "/system/scale-function/"+name+"?namespace="+url.QueryEscape(c.namespace),
		provider.ScaleServiceRequest{ServiceName: name, Replicas: replicas, Namespace: c.namespace},
		http.StatusAccepted, http.StatusOK)
	return err
}

// Status returns GET /system/function/{name}?usage=true.
//
// # Errors
//
// Transport errors, ErrNotFound, ErrStatus, JSON decoding errors.
func (c *Client) Status(ctx context.Context, name string) (provider.FunctionStatus, error) {
	var st provider.FunctionStatus
	data, err := c.do(ctx, http.MethodGet, "/system/function/"+name+"?usage=true&namespace="+url.QueryEscape(c.namespace), nil, http.StatusOK)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("status %s: %w", name, err)
	}
	return st, nil
}

// WaitGone polls Status until name is unknown or ctx ends.
//
// # Errors
//
// ctx's error wrapped, or a Status error other than ErrNotFound.
func (c *Client) WaitGone(ctx context.Context, name string) error {
	for {
		_, err := c.Status(ctx, name)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to go: %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitReplicas polls Status until availableReplicas equals n or ctx ends.
//
// # Errors
//
// ctx's error wrapped, or a Status error.
func (c *Client) WaitReplicas(ctx context.Context, name string, n uint64) error {
	for {
		st, err := c.Status(ctx, name)
		if err != nil {
			return err
		}
		if st.AvailableReplicas == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to have %d replicas: %w", name, n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
