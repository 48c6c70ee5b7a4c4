// Command render prints faas-wasm's chart rendered with Helm's Go library
// (like `helm template`, schema validation included) as a stream kubectl
// apply -f - accepts:
//
//	go run ./cmd/render -chart ../../chart -namespace openfaas -set gateway.enabled=false
//	go run ./cmd/render -env gateway     # the gateway container's env, NAME=VALUE lines
//
// It does not install anything itself.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/faas-wasm/faas-wasm/test/chart"
	"helm.sh/helm/v3/pkg/strvals"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	dir := fs.String("chart", "../../chart", "chart directory")
	name := fs.String("name", "faas-wasm", "release name")
	ns := fs.String("namespace", "openfaas", "release namespace")
	valuesFile := fs.String("f", "", "values file (YAML)")
	env := fs.String("env", "", "print the env (NAME=VALUE lines) of this container of the rendered Deployments instead of the manifest")
	var sets setFlags
	fs.Var(&sets, "set", "KEY=VALUE like helm --set (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	vals := map[string]any{}
	if *valuesFile != "" {
		b, err := os.ReadFile(*valuesFile)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(b, &vals); err != nil {
			return fmt.Errorf("%s: %w", *valuesFile, err)
		}
	}
	for _, s := range sets {
		if err := strvals.ParseInto(s, vals); err != nil {
			return fmt.Errorf("--set %s: %w", s, err)
		}
	}
	c, err := charttest.Load(*dir)
	if err != nil {
		return err
	}
	m, err := charttest.Render(c, charttest.Release{Name: *name, Namespace: *ns}, vals)
	if err != nil {
		return err
	}
	if *env != "" {
		return printEnv(m, *env)
	}
	out, err := m.YAML()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}

// printEnv prints the env of the container named name in m's Deployments.
func printEnv(m *charttest.Manifest, name string) error {
	for _, o := range m.Objects {
		if o.GetKind() != "Deployment" {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			return fmt.Errorf("deployment %s: %w", o.GetName(), err)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name != name {
				continue
			}
			for _, e := range c.Env {
				fmt.Printf("%s=%s\n", e.Name, e.Value)
			}
			return nil
		}
	}
	return fmt.Errorf("no container %q in the rendered Deployments", name)
}
