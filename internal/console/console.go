package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/stack"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Prefix is the path the console is served under.
const Prefix = "/ui/"

//go:embed assets
var assets embed.FS

// ImageInfo is what Options.Inspect tells about an image.
type ImageInfo struct {
	// Kind is provider.RuntimeWasm or provider.RuntimeContainer.
	Kind string
	// Size is the image's compressed size in bytes (manifest, config, layers).
	Size int64
}

// Options configure New.
type Options struct {
	// ProviderURL is the base URL of the provider's own listener
	// ("http://127.0.0.1:8080"); comparisons call functions there.
	ProviderURL string
	// Inspect resolves an image's kind and size; nil leaves them unknown.
	Inspect func(ctx context.Context, image string) (ImageInfo, error)
	// DefaultNamespace is the namespace of requests that name none
	// (default provider.DefaultNamespace).
	DefaultNamespace string
	// Limits bound comparisons; zero fields take DefaultLimits' values.
	Limits Limits
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Logger receives server errors; nil means slog.Default().
	Logger *slog.Logger
}

// Console serves /ui/. Close it to cancel the comparisons still running.
type Console struct {
	b       provider.Backend
	opts    Options
	static  http.Handler
	index   []byte
	images  *imageCache
	compare *runner
}

// New returns the console over b.
//
// # Errors
// When the embedded page cannot be read (a broken build).
func New(b provider.Backend, opts Options) (*Console, error) {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = provider.DefaultNamespace
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits = opts.Limits.withDefaults()
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	c := &Console{
		b:      b,
		opts:   opts,
		static: http.StripPrefix(Prefix+"assets/", http.FileServerFS(sub)),
		index:  index,
		images: newImageCache(opts.Inspect),
	}
	c.compare = newRunner(b, opts.ProviderURL, opts.Limits, c.describe, opts.Logger)
	return c, nil
}

// Close cancels the running comparisons and waits for them to end.
func (c *Console) Close() { c.compare.close() }

// ServeHTTP routes the console's requests: /ui (redirect), /ui/assets/*,
// /ui/api/*, and the page itself for every other path below /ui/ (the page
// reads its route from the URL, so function pages can be bookmarked).
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	p := r.URL.Path
	switch {
	case p == strings.TrimSuffix(Prefix, "/"):
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	case strings.HasPrefix(p, Prefix+"assets/"):
		w.Header().Set("Cache-Control", "no-cache")
		c.static.ServeHTTP(w, r)
	case strings.HasPrefix(p, Prefix+"api/"):
		c.serveAPI(w, r, strings.TrimPrefix(p, Prefix+"api/"))
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		writeText(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+p)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Length", strconv.Itoa(len(c.index)))
		_, _ = w.Write(c.index)
	}
}

// securityHeaders keeps the page to its own origin: no inline script, no
// third-party resource, no framing.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (c *Console) serveAPI(w http.ResponseWriter, r *http.Request, p string) {
	switch {
	case p == "functions" && r.Method == http.MethodGet:
		c.listFunctions(w, r)
	case p == "stack" && r.Method == http.MethodPost:
		c.parseStack(w, r)
	case p == "compare" && r.Method == http.MethodPost:
		c.startComparison(w, r)
	case p == "compare" && r.Method == http.MethodGet:
		c.writeJSON(w, r, http.StatusOK, c.compare.list())
	case strings.HasPrefix(p, "compare/") && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		c.comparison(w, r, strings.TrimPrefix(p, "compare/"))
	default:
		writeText(w, http.StatusNotFound, "no such console route: "+r.Method+" "+r.URL.Path)
	}
}

// Function is one entry of GET /ui/api/functions: the provider's status of
// the function with what the console found out about its image.
type Function struct {
	provider.FunctionStatus
	// Kind is wasm or container: the runtime annotation when set, else the
	// image's kind; empty when unknown.
	Kind string `json:"kind"`
	// ArtifactBytes is the image's compressed size; 0 when unknown.
	ArtifactBytes int64 `json:"artifactBytes,omitempty"`
}

// MarshalJSON writes the status's fields (as the provider API does) with
// kind and artifactBytes added. Without it the status's own MarshalJSON,
// promoted by the embedding, would drop them.
func (f Function) MarshalJSON() ([]byte, error) {
	status, err := json.Marshal(f.FunctionStatus)
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(struct {
		Kind          string `json:"kind"`
		ArtifactBytes int64  `json:"artifactBytes,omitempty"`
	}{f.Kind, f.ArtifactBytes})
	if err != nil {
		return nil, err
	}
	// Both are JSON objects: join {status...} and {extra...}.
	return append(append(status[:len(status)-1], ','), extra[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Function) UnmarshalJSON(b []byte) error {
	var extra struct {
		Kind          string `json:"kind"`
		ArtifactBytes int64  `json:"artifactBytes"`
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &f.FunctionStatus); err != nil {
		return err
	}
	f.Kind, f.ArtifactBytes = extra.Kind, extra.ArtifactBytes
	return nil
}

// listFunctions answers the functions of ?namespace=NS, or of every
// namespace when it is empty.
func (c *Console) listFunctions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	namespaces := []string{r.URL.Query().Get("namespace")}
	if namespaces[0] == "" {
		all, err := c.b.Namespaces(ctx)
		if err != nil {
			c.writeError(w, r, fmt.Errorf("list namespaces: %w", err))
			return
		}
		namespaces = all
	}
	out := []Function{}
	for _, ns := range namespaces {
		fns, err := c.b.Functions(ctx, ns)
		if err != nil {
			c.writeError(w, r, fmt.Errorf("list functions of %s: %w", ns, err))
			return
		}
		for _, f := range fns {
			out = append(out, c.describe(ctx, f))
		}
	}
	c.writeJSON(w, r, http.StatusOK, out)
}

// describe adds the kind and artifact size to a function's status.
func (c *Console) describe(ctx context.Context, f provider.FunctionStatus) Function {
	info := c.images.get(ctx, f.Image)
	kind := f.Annotations[provider.AnnotationRuntime]
	if kind == "" {
		kind = info.Kind
	}
	return Function{FunctionStatus: f, Kind: kind, ArtifactBytes: info.Size}
}

// parseStack answers the deployments of a stack.yml body. Variables are
// substituted from nothing (their defaults apply): the provider's own
// environment is not the user's.
func (c *Console) parseStack(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.opts.MaxBodyBytes))
	if err != nil {
		c.writeError(w, r, fmt.Errorf("read stack file: %w", tooLarge(err)))
		return
	}
	s, err := stack.Parse(body, func(string) (string, bool) { return "", false })
	if err != nil {
		c.writeError(w, r, fmt.Errorf("%w: %w", err, provider.ErrInvalid))
		return
	}
	c.writeJSON(w, r, http.StatusOK, s.Deployments())
}

func (c *Console) startComparison(w http.ResponseWriter, r *http.Request) {
	var req CompareRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, c.opts.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		c.writeError(w, r, fmt.Errorf("comparison request: %w: %w", tooLarge(err), provider.ErrInvalid))
		return
	}
	snap, err := c.compare.start(r.Context(), req, c.opts.DefaultNamespace)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.writeJSON(w, r, http.StatusAccepted, snap)
}

func (c *Console) comparison(w http.ResponseWriter, r *http.Request, id string) {
	var (
		snap Snapshot
		err  error
	)
	if r.Method == http.MethodDelete {
		snap, err = c.compare.cancel(id)
	} else {
		snap, err = c.compare.get(id)
	}
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.writeJSON(w, r, http.StatusOK, snap)
}

// tooLarge marks a body over the limit as provider.ErrTooLarge.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("body larger than %d bytes: %w", mbe.Limit, provider.ErrTooLarge)
	}
	return err
}

func (c *Console) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		c.writeError(w, r, fmt.Errorf("encode answer: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers err with the status the provider API gives the same
// error class (handlers.StatusFor); server errors are logged.
func (c *Console) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := handlers.StatusFor(err)
	if status >= http.StatusInternalServerError {
		c.opts.Logger.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeText(w, status, err.Error())
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// imageCache remembers what inspect said about an image for a while, so
// the list (polled by the page) does not ask the registry each time.
type imageCache struct {
	inspect func(context.Context, string) (ImageInfo, error)
	mu      sync.Mutex
	entries map[string]imageEntry
}

type imageEntry struct {
	info ImageInfo
	at   time.Time
}

const (
	imageTTL          = 5 * time.Minute
	imageCacheEntries = 512
	inspectTimeout    = 3 * time.Second
)

func newImageCache(inspect func(context.Context, string) (ImageInfo, error)) *imageCache {
	return &imageCache{inspect: inspect, entries: map[string]imageEntry{}}
}

// get returns the image's info, zero when unknown or not inspectable; a
// failed inspection is remembered as unknown for the same time.
func (c *imageCache) get(ctx context.Context, image string) ImageInfo {
	if c.inspect == nil || image == "" {
		return ImageInfo{}
	}
	c.mu.Lock()
	e, ok := c.entries[image]
	c.mu.Unlock()
	if ok && time.Since(e.at) < imageTTL {
		return e.info
	}
	ictx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	info, err := c.inspect(ictx, image)
	if err != nil {
		info = ImageInfo{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= imageCacheEntries {
		clear(c.entries)
	}
	c.entries[image] = imageEntry{info: info, at: time.Now()}
	return info
}
