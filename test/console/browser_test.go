package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/providertest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Built once by TestMain.
var (
	binPath  string // the faas-wasm binary
	echoWasm []byte // test/guests/echo
	boxBin   []byte // test/reliability/testdata/box, a static HTTP server
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "faas-wasm-console-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	box := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "box"), "../reliability/testdata/box")
	box.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := box.CombinedOutput(); err != nil {
		log.Printf("build box: %v\n%s", err, o)
		return 1
	}
	if boxBin, err = os.ReadFile(filepath.Join(dir, "box")); err != nil {
		log.Print(err)
		return 1
	}
	if binPath, err = providertest.Build(dir); err != nil {
		log.Print(err)
		return 1
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "echo.wasm"), ".")
	cmd.Dir = filepath.Join("..", "guests", "echo")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if o, err := cmd.CombinedOutput(); err != nil {
		log.Printf("build echo guest: %v\n%s", err, o)
		return 1
	}
	if echoWasm, err = os.ReadFile(filepath.Join(dir, "echo.wasm")); err != nil {
		log.Print(err)
		return 1
	}
	return m.Run()
}

// providerProc is the faas-wasm process of a test.
type providerProc struct{ *providertest.Proc }

// startProvider runs the binary on a loopback port over the containerd at
// socket, with auth on (generated credentials), until the test ends.
func startProvider(t *testing.T, socket string) *providerProc {
	t.Helper()
	return &providerProc{providertest.Start(t, providertest.Options{
		Bin: binPath, Args: []string{"--containerd-socket", socket}, Graceful: true,
	})}
}

// api sends a request to the provider's API with its credentials.
func (p *providerProc) api(t *testing.T, method, path string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(p.User, p.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitAnswer waits until a call to the function answers 200.
func (p *providerProc) waitAnswer(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/function/" + name)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// push pushes the echo guest (wasm) or the box server (container) as
// registry/repo:1.
func push(t *testing.T, registry, repo string, wasm bool) string {
	t.Helper()
	ref := registry + "/" + repo + ":1"
	var (
		img v1.Image
		err error
	)
	if wasm {
		img, err = oci.WasmImage(echoWasm, oci.FormOCILayer)
	} else {
		img, err = oci.ContainerImage(boxBin, oci.ContainerConfig{})
	}
	if err == nil {
		_, err = oci.Push(context.Background(), img, ref)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

// browser starts a headless Chromium (1280×800, light) for the test; with
// auth set, every request carries the provider's basic auth.
func browser(t *testing.T, p *providerProc, auth bool) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "no chromium (Debian package chromium; hack/install-deps.sh installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 800))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	headers := network.Headers{}
	if auth {
		headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Password))
	}
	err = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	}))
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if ctx, err = recordPage(ctx); err != nil {
		t.Fatalf("record the page's events: %v", err)
	}
	return ctx
}

// step runs actions with a time limit, failing the test with what.
func step(t *testing.T, ctx context.Context, what string, limit time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage text:\n%s\npage events (last %d):\n%s", what, err, body, pageLogLines, pageEvents(ctx))
	}
}

// value evaluates expr on the page.
func value[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// setMedia emulates the system's colour scheme.
func setMedia(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

func set(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

// click waits for sel and clicks it with the DOM's click(): a mouse
// click at the element's box can miss it when the page's refresh moves
// the layout between measuring the box and pressing the button (seen
// under load: the scale button's click was lost).
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e || e.disabled) return false; e.click(); return true })()`, js(sel)),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))
}
func eval(expr string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](expr) }

// open loads a console page. Chromium cancels the requests in flight with
// net::ERR_NETWORK_CHANGED when the host's network interfaces change,
// which the tests of other packages running beside this one do (CNI
// bridges, veths), and the page then shows its boot error ("could not
// load .../app.js", seen in a CI rehearsal): a load that lost a request so
// is loaded again, at most three times in all. Any other failure stays the
// test's.
func open(t *testing.T, url string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for attempt := 1; ; attempt++ {
			before := networkChanges(ctx)
			if _, err := chromedp.Navigate(url)(ctx, tg); err != nil {
				return err
			}
			if networkChanges(ctx) == before || attempt == 3 {
				return nil
			}
			t.Logf("loading %s again: %d of its requests failed as the host's network changed", url, networkChanges(ctx)-before)
		}
	})
}

// until waits for a JavaScript expression to be true.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// screenshot saves the viewport as docs/ui/NAME.png when
// UPDATE_SCREENSHOTS is set, else in a temporary dir.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("UPDATE_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "..", "docs", "ui")
	}
	step(t, ctx, "settle before screenshot "+name, 10*time.Second, chromedp.Sleep(300*time.Millisecond))
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

// textHas is an expression true when the element's text contains want.
func textHas(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent || "").includes(%s)`, js(sel), js(want))
}

// TestConsoleInChromium walks the console's pages in a real browser
// against a real provider with a Wasm function (echo) and a container
// function (box).
func TestConsoleInChromium(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "container functions need root")
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		testenv.Missing(t, "no chromium (Debian package chromium; hack/install-deps.sh installs it)")
	}
	d := containerdtest.Run(t, "fwui")
	registry := ocitest.NewRegistry(t)
	echoRef, boxRef := push(t, registry, "echo-wasm", true), push(t, registry, "box", false)
	p := startProvider(t, d.Socket())
	for _, f := range []provider.FunctionDeployment{
		{Service: "echo", Image: echoRef, Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}},
		{Service: "box", Image: boxRef, Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}},
	} {
		if code, body := p.api(t, http.MethodPost, "/system/functions", f); code != http.StatusAccepted {
			t.Fatalf("deploy %s = %d %s", f.Service, code, body)
		}
		p.waitAnswer(t, f.Service)
	}

	t.Run("auth required", func(t *testing.T) {
		ctx := browser(t, p, false)
		// Headless Chromium answers the basic auth challenge of a page
		// load with a load error (there is no one to type a password).
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.Navigate(p.URL+"/ui/")); err == nil || !strings.Contains(err.Error(), "AUTH") {
			t.Errorf("loading /ui/ without credentials: %v, want an auth error", err)
		}
		step(t, ctx, "an open page of the provider", 30*time.Second, chromedp.Navigate(p.URL+"/healthz"))
		for _, path := range []string{"/ui/", "/ui/api/functions", "/ui/assets/app.js"} {
			// Without credentials mode "omit" the browser would wait for a
			// password prompt that headless Chromium never shows.
			status := value[int](t, ctx, `fetch(`+js(path)+`, {credentials: "omit"}).then(r => r.status)`, chromedp.EvalAwaitPromise)
			if status != http.StatusUnauthorized {
				t.Errorf("GET %s without credentials from the page = %d, want 401", path, status)
			}
		}
	})

	t.Run("a file that fails to load is reported", func(t *testing.T) {
		ctx := browser(t, p, true)
		block := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetBlockedURLs, network.SetBlockedURLsParams{
				URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/ui/assets/list.js", Block: true}}})
			return err
		})
		step(t, ctx, "load with list.js blocked", 30*time.Second, block,
			open(t, p.URL+"/ui/"),
			until(textHas("#boot-error", "could not load")),
			until(`!!document.querySelector("#boot-error a[href]")`))
	})

	ctx := browser(t, p, true)

	t.Run("list shows both kinds", func(t *testing.T) {
		start := time.Now()
		step(t, ctx, "list", 30*time.Second,
			open(t, p.URL+"/ui/"),
			until(textHas(`tr[data-function="echo"]`, "Wasm")),
			until(textHas(`tr[data-function="box"]`, "container")))
		fcp := value[float64](t, ctx, `performance.getEntriesByName("first-contentful-paint")[0]?.startTime || 0`)
		t.Logf("first contentful paint of /ui/: %.0f ms; list with both functions after %v", fcp, time.Since(start).Round(time.Millisecond))
		step(t, ctx, "filter by kind", 10*time.Second,
			set("#f-kind", "wasm"),
			eval(`document.querySelector("#f-kind").dispatchEvent(new Event("change"))`),
			until(`!document.querySelector('tr[data-function="box"]') && !!document.querySelector('tr[data-function="echo"]')`),
			until(`location.search === "?kind=wasm"`),
			set("#f-kind", ""),
			eval(`document.querySelector("#f-kind").dispatchEvent(new Event("change"))`),
			until(`!!document.querySelector('tr[data-function="box"]')`))
		screenshot(t, ctx, "functions")
	})

	t.Run("invoke returns the body and logs stream the new line", func(t *testing.T) {
		step(t, ctx, "function page", 30*time.Second,
			open(t, p.URL+"/ui/functions/openfaas-fn/echo"),
			until(textHas("#status", "Wasm")),
			set("#inv-method", "POST"),
			set("#inv-path", "/from-browser"),
			set("#inv-body", "hello-browser"),
			click("#inv-send"),
			until(textHas("#inv-body-out", "method=POST path=/from-browser")),
			until(textHas("#inv-body-out", "body=hello-browser")),
			until(textHas("#inv-status", "200")),
			until(textHas("#logs", "echo called: POST /from-browser")))
		screenshot(t, ctx, "function")
	})

	t.Run("scale to zero and wake", func(t *testing.T) {
		step(t, ctx, "scale box to 0", 60*time.Second,
			open(t, p.URL+"/ui/functions/openfaas-fn/box"),
			until(textHas("#status", "container")),
			click("#scale-zero"),
			until(textHas("#scale-done", "asked for 0 replicas")),
			until(textHas("#replicas", "0 wanted, 0 ready")))
		step(t, ctx, "wake box with a call", 60*time.Second,
			click("#inv-send"),
			until(textHas("#inv-status", "200")),
			until(textHas("#inv-body-out", "ok ")),
			until(textHas("#replicas", "1 wanted, 1 ready")))
	})

	t.Run("deploy by form", func(t *testing.T) {
		step(t, ctx, "deploy form", 60*time.Second,
			open(t, p.URL+"/ui/deploy"),
			until(`document.querySelectorAll("#d-ns option").length > 0`),
			set("#d-name", "echo-form"),
			set("#d-image", echoRef),
			set("#d-kind", "wasm"),
			set("#d-env", "GREETING=from-the-form"),
			click("#d-submit"),
			until(textHas("#d-result", "echo-form created")))
		screenshot(t, ctx, "deploy")
		p.waitAnswer(t, "echo-form")
		resp, err := http.Get(p.URL + "/function/echo-form")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "env=from-the-form") {
			t.Errorf("the function deployed by the form answered %q", b)
		}
		step(t, ctx, "a bad deploy shows the API's error", 30*time.Second,
			set("#d-name", "Bad_Name"),
			eval(`document.querySelector("#d-name").removeAttribute("pattern")`),
			click("#d-submit"),
			until(textHas("#deploy-form .error", "400")))
	})

	t.Run("side by side comparison", func(t *testing.T) {
		var started time.Time
		step(t, ctx, "compare page", 30*time.Second,
			open(t, p.URL+"/ui/compare?a=echo.openfaas-fn&b=box.openfaas-fn&calls=100&concurrency=8"),
			until(`document.querySelector("#c-a").value === "echo.openfaas-fn" && document.querySelector("#c-b").value === "box.openfaas-fn"`),
			chromedp.Func(func(context.Context, *chromedp.Target) error { started = time.Now(); return nil }),
			click("#c-run"))
		step(t, ctx, "comparison finishes and draws its charts", 150*time.Second,
			until(textHas("#c-state", "done: 402 of 402")),
			until(`document.querySelectorAll("#c-charts svg.chart").length >= 5`),
			until(`document.querySelectorAll("#c-charts svg.chart rect.sa").length > 0 && document.querySelectorAll("#c-charts svg.chart rect.sb").length > 0`),
			until(`/[?&]run=[0-9a-f]{16}/.test(location.search)`))
		t.Logf("100-call comparison (2 cold starts + 400 calls) finished and drawn in %v", time.Since(started).Round(time.Millisecond))
		screenshot(t, ctx, "compare")
		step(t, ctx, "dark mode", 30*time.Second, setMedia("dark"))
		screenshot(t, ctx, "compare-dark")
		step(t, ctx, "phone width", 30*time.Second,
			setMedia("light"),
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			open(t, p.URL+"/ui/"),
			until(`!!document.querySelector('tr[data-function="box"]')`))
		screenshot(t, ctx, "functions-phone")
	})
}
