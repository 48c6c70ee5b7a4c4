package charttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// GatewayInvocationQuery is the PromQL the OpenFaaS gateway (CE 0.27)
// sends to Prometheus for each GET /system/functions, to fill in the
// functions' invocationCount: the sum of gateway_function_invocation_total
// over every code, per function_name, for the function names ending in
// ".NAMESPACE" — NAMESPACE being that of the first function the provider
// listed. The facts (metric, selector, aggregation) are from
// openfaas/faas gateway/metrics/add_metrics.go (AddMetricsHandler).
func GatewayInvocationQuery(namespace string) string {
	return fmt.Sprintf(`sum(gateway_function_invocation_total{function_name=~".*.%s"}) by (function_name)`, namespace)
}

// GatewayQueryURL is the request the gateway makes for that query: GET on
// Prometheus's instant-query API with the query url.QueryEscape'd, at
// faas_prometheus_host:faas_prometheus_port (openfaas/faas
// gateway/metrics/prometheus_query.go, PrometheusQuery.Fetch).
func GatewayQueryURL(hostPort, namespace string) string {
	return "http://" + hostPort + "/api/v1/query?query=" + url.QueryEscape(GatewayInvocationQuery(namespace))
}

// queryResponse is the part of Prometheus's answer the gateway decodes.
type queryResponse struct {
	Data struct {
		Result []struct {
			Metric struct {
				FunctionName string `json:"function_name"`
			} `json:"metric"`
			Value []any `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// InvocationCounts sends the gateway's request for namespace to the
// Prometheus at hostPort and reads the answer as the gateway's mix-in
// does: per function_name ("NAME.NAMESPACE") the sample value, a string
// holding a float.
//
// # Errors
// Transport errors, a status other than 200, an undecodable body or a
// sample that is not a string float.
func InvocationCounts(ctx context.Context, c *http.Client, hostPort, namespace string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, GatewayQueryURL(hostPort, namespace), nil)
	if err != nil {
		return nil, fmt.Errorf("gateway query: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway query: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("gateway query: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("gateway query: status %d: %s", resp.StatusCode, body)
	}
	var qr queryResponse
	if err := json.Unmarshal(body, &qr); err != nil {
		return nil, fmt.Errorf("gateway query: decode %q: %w", body, err)
	}
	out := map[string]float64{}
	for _, r := range qr.Data.Result {
		if len(r.Value) != 2 {
			return nil, fmt.Errorf("gateway query: sample %v is not [time, value]", r.Value)
		}
		s, ok := r.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("gateway query: value %v of %s is not a string", r.Value[1], r.Metric.FunctionName)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("gateway query: value of %s: %w", r.Metric.FunctionName, err)
		}
		out[r.Metric.FunctionName] += v
	}
	return out, nil
}
