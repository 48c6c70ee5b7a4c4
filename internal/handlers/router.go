package handlers

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Route is one entry of the provider's route table.
type Route struct {
	// Name identifies the handler, e.g. "deploy".
	Name string
	// Method is the HTTP method; empty means any method (the handler itself
	// answers 405 for methods it does not serve).
	Method string
	// Path is a gorilla/mux path template, e.g. "/system/function/{name}".
	Path string
	// Prefix marks Path as a prefix: every path below it matches.
	Prefix bool
	// Auth puts the route behind basic auth when Config.Auth is set.
	Auth bool
}

type routeEntry struct {
	Route
	make func(provider.Backend, Config) http.Handler
}

func h(f func(provider.Backend, Config) http.HandlerFunc) func(provider.Backend, Config) http.Handler {
	return func(b provider.Backend, c Config) http.Handler { return f(b, c) }
}

// system is a /system route: behind basic auth when Config.Auth is set.
func system(name, method, path string, newHandler func(provider.Backend, Config) http.Handler) routeEntry {
	return routeEntry{Route: Route{Name: name, Method: method, Path: path, Auth: true}, make: newHandler}
}

// open is a route that never asks for credentials.
func open(name, method, path string, newHandler func(provider.Backend, Config) http.Handler) routeEntry {
	return routeEntry{Route: Route{Name: name, Method: method, Path: path}, make: newHandler}
}

// table is the single list of routes NewRouter serves and Routes reports.
var table = []routeEntry{
	system("list-functions", http.MethodGet, "/system/functions", h(MakeFunctionsHandler)),
	system("deploy", http.MethodPost, "/system/functions", h(MakeDeployHandler)),
	system("update", http.MethodPut, "/system/functions", h(MakeUpdateHandler)),
	system("delete", http.MethodDelete, "/system/functions", h(MakeDeleteHandler)),
	system("function", http.MethodGet, "/system/function/{name}", h(MakeFunctionHandler)),
	system("scale", http.MethodPost, "/system/scale-function/{name}", h(MakeScaleHandler)),
	system("info", http.MethodGet, "/system/info", h(MakeInfoHandler)),
	system("list-secrets", http.MethodGet, "/system/secrets", h(MakeSecretsHandler)),
	system("create-secret", http.MethodPost, "/system/secrets", h(MakeCreateSecretHandler)),
	system("update-secret", http.MethodPut, "/system/secrets", h(MakeUpdateSecretHandler)),
	system("delete-secret", http.MethodDelete, "/system/secrets", h(MakeDeleteSecretHandler)),
	system("logs", http.MethodGet, "/system/logs", h(MakeLogsHandler)),
	system("list-namespaces", http.MethodGet, "/system/namespaces", h(MakeNamespacesHandler)),
	system("namespace", http.MethodGet, "/system/namespace/{ns}", h(MakeNamespaceHandler)),
	system("create-namespace", http.MethodPost, "/system/namespace/{ns}", h(MakeCreateNamespaceHandler)),
	// faas-cli's form (and the gateway's route): the name in the body.
	system("create-namespace-body", http.MethodPost, "/system/namespace/", h(MakeCreateNamespaceHandler)),
	system("update-namespace", http.MethodPut, "/system/namespace/{ns}", h(MakeUpdateNamespaceHandler)),
	system("delete-namespace", http.MethodDelete, "/system/namespace/{ns}", h(MakeDeleteNamespaceHandler)),
	system("alert", http.MethodPost, "/system/alert", h(MakeAlertHandler)),
	open("healthz", http.MethodGet, "/healthz", health),
	open("metrics", http.MethodGet, "/metrics", h(MakeMetricsHandler)),
	open("healthz-head", http.MethodHead, "/healthz", health),
	// The web console (Config.Console): /ui redirects to /ui/, which serves
	// the page, its assets and its API; behind basic auth like /system.
	{Route: Route{Name: "console", Path: "/ui", Auth: true}, make: console},
	{Route: Route{Name: "console-pages", Path: "/ui/", Prefix: true, Auth: true}, make: console},
	// Every path below /function/ is a call (the function sees the rest); any method.
	{Route: Route{Name: "invoke", Path: "/function/", Prefix: true}, make: h(MakeInvokeHandler)},
	// The same calls, queued: 202 now, the result to X-Callback-Url later.
	{Route: Route{Name: "invoke-async", Path: "/async-function/", Prefix: true}, make: h(MakeAsyncHandler)},
}

func health(provider.Backend, Config) http.Handler { return MakeHealthHandler() }

// console serves Config.Console, or 404 when the provider runs without one.
func console(_ provider.Backend, c Config) http.Handler {
	if c.Console == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeText(w, http.StatusNotFound, "the web console is not enabled")
		})
	}
	return c.Console
}

// Routes returns the route table NewRouter serves, so tests (and docs) can
// iterate every route, e.g. to prove each /system route requires auth.
func Routes() []Route {
	out := make([]Route, len(table))
	for i, e := range table {
		out[i] = e.Route
	}
	return out
}

// NewRouter serves every route of Routes over b. Routes marked Auth are
// wrapped in RequireBasicAuth when cfg.Auth is set. Paths are not cleaned,
// so a function sees its sub-path exactly as sent.
func NewRouter(b provider.Backend, cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	r := mux.NewRouter()
	r.SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusNotFound, "no such route")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeText(w, http.StatusMethodNotAllowed, "method "+req.Method+" is not allowed on "+req.URL.Path)
	})
	for _, e := range table {
		handler := e.make(b, cfg)
		if e.Auth {
			handler = RequireBasicAuth(cfg.Auth, handler)
		}
		var m *mux.Route
		if e.Prefix {
			m = r.PathPrefix(e.Path)
		} else {
			m = r.Path(e.Path)
		}
		if e.Method != "" {
			m = m.Methods(e.Method)
		}
		m.Handler(handler)
	}
	return r
}

// pathVar returns a path template variable of the matched route.
func pathVar(r *http.Request, key string) string {
	return mux.Vars(r)[key]
}
