package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/bench"
	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/providertest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// plainQuery is what TestEveryStackEntryAnswersLocal sends plain-c-wasm,
// which answers the query it got (sdk/c/examples/plain-cgi.c).
const plainQuery = "name=stack"

// TestEveryStackEntryAnswersLocal deploys every entry of the repository's
// stack.yml — both languages, both kinds, plain-c-wasm — to one provider
// in local mode (a private containerd for the containers, a registry on
// loopback) as written: the helper services are named by
// provider.HostAlias, which both kinds reach the same way; only the
// services' ports are this run's. Each entry must answer the study's input
// with 200, the four variants of a study function the same JSON, and
// plain-c-wasm its query.
//
// It runs after TestNativeAndWasmAgree (file order), which compiled the
// same sources with the same builder settings: the Go build cache and the
// Cargo target directory make the images mostly packaging and pushing.
func TestEveryStackEntryAnswersLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every image of stack.yml and deploys it")
	}
	// The builds take minutes after TestNativeAndWasmAgree, but the whole
	// Rust set cold on a loaded 2-core machine takes half an hour.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	t.Cleanup(cancel)
	repo, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	stackPath := filepath.Join(repo, "stack.yml")
	bin, err := providertest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := bench.StartLocal(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logs := ""
		if t.Failed() {
			logs = t.TempDir()
		}
		if err := l.Stop(context.Background(), logs); err != nil {
			t.Error(err)
		}
		if logs != "" {
			t.Logf("provider and containerd logs kept in %s", logs)
		}
	})
	t.Setenv("REGISTRY", l.Registry()) // the images' registry in stack.yml
	stack, err := builder.LoadStack(stackPath)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Containers() {
		testenv.Missing(t, "containerd for the container entries:", l.Notes)
	}
	start, last := time.Now(), time.Now()
	_, err = builder.New().BuildStack(ctx, stackPath, builder.StackOptions{Push: l.Registry(), Built: func(r builder.Result) {
		t.Logf("built and pushed %s (%s, %d bytes) in %v", r.Name, r.Kind, r.Size, time.Since(last).Round(time.Millisecond))
		last = time.Now()
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BENCH stack build+push: %d images in %v", len(stack.Functions), time.Since(start).Round(time.Millisecond))

	if err := l.StartProvider(ctx, bin); err != nil {
		t.Fatal(err)
	}
	user, password, err := l.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	c := bench.NewClient(l.APIURL(), user, password, provider.DefaultNamespace)
	// Directly under the temporary directory: PostgreSQL runs as its own
	// user and cannot enter t.TempDir()'s parent (0700).
	svcDir, err := os.MkdirTemp("", "functions-stack-services-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(svcDir) })
	services, err := bench.StartServices(ctx, repo, svcDir, "0.0.0.0", filepath.Join(repo, "functions", "testdata", "hamlet.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := services.Stop(context.Background(), ""); err != nil {
			t.Error(err)
		}
	})
	if services.UserAPIURL(provider.HostAlias) == "" {
		testenv.Missing(t, "PostgreSQL for user-manager's store:", services.Notes)
	}

	start = time.Now()
	for _, name := range stack.Names() {
		if err := c.Deploy(ctx, bench.Deployment(name, stack.Functions[name], services, provider.HostAlias)); err != nil {
			t.Fatalf("deploy %s: %v", name, err)
		}
	}
	for _, name := range stack.Names() {
		wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
		err := c.WaitReplicas(wctx, name, 1)
		wcancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("BENCH stack deploy: %d functions ready in %v", len(stack.Functions), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	answers := map[string]string{} // study function → the first variant's answer
	for _, name := range stack.Names() {
		base, _ := bench.ParseVariantName(name)
		query, study := bench.StudyInputs[base]
		if !study {
			query = plainQuery
		}
		code, body, err := call(ctx, c.FunctionURL(name, query))
		if err != nil || code != http.StatusOK {
			t.Errorf("%s: %d %v %.300q", name, code, err, body)
			continue
		}
		switch {
		case !study:
			if !bytes.Contains(body, []byte("query="+plainQuery)) {
				t.Errorf("%s answered %.300q, not its query", name, body)
			}
		case !json.Valid(body):
			t.Errorf("%s answered no JSON: %.300q", name, body)
		case answers[base] == "":
			answers[base] = string(body)
		case answers[base] != string(body):
			t.Errorf("%s answered %.300q, another variant of %s %.300q", name, body, base, answers[base])
		}
	}
	t.Logf("BENCH stack calls: %d entries answered in %v", len(stack.Functions), time.Since(start).Round(time.Millisecond))
	if len(answers) != len(bench.StudyInputs) {
		t.Errorf("answers for %d study functions, want %d", len(answers), len(bench.StudyInputs))
	}
}

// call GETs u and returns the status and body.
func call(ctx context.Context, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
