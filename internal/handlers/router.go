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

// table is the single list of routes NewRouter serves and Routes reports.
var table = []routeEntry{
	{Route{"list-functions", http.MethodGet, "/system/functions", false, true}, h(MakeFunctionsHandler)},
	{Route{"deploy", http.MethodPost, "/system/functions", false, true}, h(MakeDeployHandler)},
	{Route{"update", http.MethodPut, "/system/functions", false, true}, h(MakeUpdateHandler)},
	{Route{"delete", http.MethodDelete, "/system/functions", false, true}, h(MakeDeleteHandler)},
	{Route{"function", http.MethodGet, "/system/function/{name}", false, true}, h(MakeFunctionHandler)},
	{Route{"scale", http.MethodPost, "/system/scale-function/{name}", false, true}, h(MakeScaleHandler)},
	{Route{"info", http.MethodGet, "/system/info", false, true}, h(MakeInfoHandler)},
	{Route{"list-secrets", http.MethodGet, "/system/secrets", false, true}, h(MakeSecretsHandler)},
	{Route{"create-secret", http.MethodPost, "/system/secrets", false, true}, h(MakeCreateSecretHandler)},
	{Route{"update-secret", http.MethodPut, "/system/secrets", false, true}, h(MakeUpdateSecretHandler)},
	{Route{"delete-secret", http.MethodDelete, "/system/secrets", false, true}, h(MakeDeleteSecretHandler)},
	{Route{"logs", http.MethodGet, "/system/logs", false, true}, h(MakeLogsHandler)},
	{Route{"list-namespaces", http.MethodGet, "/system/namespaces", false, true}, h(MakeNamespacesHandler)},
	{Route{"namespace", http.MethodGet, "/system/namespace/{ns}", false, true}, h(MakeNamespaceHandler)},
	{Route{"create-namespace", http.MethodPost, "/system/namespace/{ns}", false, true}, h(MakeCreateNamespaceHandler)},
	{Route{"update-namespace", http.MethodPut, "/system/namespace/{ns}", false, true}, h(MakeUpdateNamespaceHandler)},
	{Route{"delete-namespace", http.MethodDelete, "/system/namespace/{ns}", false, true}, h(MakeDeleteNamespaceHandler)},
	{Route{"alert", http.MethodPost, "/system/alert", false, true}, h(MakeAlertHandler)},
	{Route{"healthz", http.MethodGet, "/healthz", false, false}, health},
	{Route{"metrics", http.MethodGet, "/metrics", false, false}, h(MakeMetricsHandler)},
	{Route{"healthz-head", http.MethodHead, "/healthz", false, false}, health},
	{Route{"invoke", "", "/function/", true, false}, h(MakeInvokeHandler)},
}

func health(provider.Backend, Config) http.Handler { return MakeHealthHandler() }

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
