// Command promcheck checks the chart's Prometheus on the test cluster (run by
// test/chart/cluster.sh):
//
//	go run ./cmd/promcheck -prometheus IP:PORT -namespace FN_NS -want prime-wasm=9,prime-native=9
//
// It waits (up to -timeout) until every provider target of job
// faas-wasm-provider is up, the alert rule APIHighInvocationRate is loaded
// and healthy, and Prometheus answers the exact request the OpenFaaS gateway
// sends for its function list (charttest.GatewayQueryURL) with each wanted
// function's invocation count, then prints what it saw. It exits 1 with the
// last answer when that does not happen in time.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/test/chart"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "promcheck:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("promcheck", flag.ContinueOnError)
	prom := fs.String("prometheus", "", "Prometheus HOST:PORT")
	ns := fs.String("namespace", "", "function namespace the gateway's query is for")
	wantList := fs.String("want", "", "NAME=COUNT,... invocation counts expected per function")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for Prometheus to agree")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prom == "" || *ns == "" || *wantList == "" {
		return errors.New("need -prometheus, -namespace and -want")
	}
	want := map[string]float64{}
	for _, kv := range strings.Split(*wantList, ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			return fmt.Errorf("-want %q: not NAME=COUNT", kv)
		}
		want[k+"."+*ns] = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := &http.Client{Timeout: 10 * time.Second}
	checks := []struct {
		what string
		ok   func() (string, error)
	}{
		{"provider targets up", func() (string, error) { return providerTargetsUp(ctx, c, *prom) }},
		{"alert rule loaded", func() (string, error) { return alertRuleLoaded(ctx, c, *prom) }},
		{"the gateway's query answers the invocation counts", func() (string, error) {
			got, err := charttest.InvocationCounts(ctx, c, *prom, *ns)
			if err != nil {
				return "", err
			}
			if !reflect.DeepEqual(got, want) {
				return "", fmt.Errorf("counts %v, want %v", got, want)
			}
			return fmt.Sprintf("GET %s → %v", charttest.GatewayQueryURL(*prom, *ns), got), nil
		}},
	}
	start := time.Now()
	for _, chk := range checks {
		for {
			msg, err := chk.ok()
			if err == nil {
				fmt.Printf("%s (%.1f s): %s\n", chk.what, time.Since(start).Seconds(), msg)
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: not within %s: %w", chk.what, *timeout, err)
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// getJSON decodes the data field of a Prometheus API answer.
func getJSON(ctx context.Context, c *http.Client, url string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &struct {
		Data any `json:"data"`
	}{data}); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

func providerTargetsUp(ctx context.Context, c *http.Client, prom string) (string, error) {
	var d struct {
		ActiveTargets []struct {
			ScrapePool string            `json:"scrapePool"`
			ScrapeURL  string            `json:"scrapeUrl"`
			Health     string            `json:"health"`
			LastError  string            `json:"lastError"`
			Labels     map[string]string `json:"labels"`
		} `json:"activeTargets"`
	}
	if err := getJSON(ctx, c, "http://"+prom+"/api/v1/targets?state=active", &d); err != nil {
		return "", err
	}
	var up []string
	for _, t := range d.ActiveTargets {
		if t.ScrapePool != "faas-wasm-provider" {
			continue
		}
		if t.Health != "up" {
			return "", fmt.Errorf("target %s is %s: %s", t.ScrapeURL, t.Health, t.LastError)
		}
		up = append(up, t.ScrapeURL+" (pod "+t.Labels["pod"]+")")
	}
	if len(up) == 0 {
		return "", fmt.Errorf("no target of job faas-wasm-provider among %d", len(d.ActiveTargets))
	}
	return strings.Join(up, ", "), nil
}

func alertRuleLoaded(ctx context.Context, c *http.Client, prom string) (string, error) {
	var d struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name   string `json:"name"`
				Query  string `json:"query"`
				Health string `json:"health"`
				Type   string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := getJSON(ctx, c, "http://"+prom+"/api/v1/rules", &d); err != nil {
		return "", err
	}
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			if r.Name == "APIHighInvocationRate" && r.Type == "alerting" {
				if r.Health != "ok" {
					return "", fmt.Errorf("rule %s health %q", r.Name, r.Health)
				}
				return g.Name + "/" + r.Name + ": " + r.Query, nil
			}
		}
	}
	return "", errors.New("alert rule APIHighInvocationRate not loaded")
}
