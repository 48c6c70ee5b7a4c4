// Package console serves the provider's web console at /ui/: the page and
// its scripts and styles (embedded, no build step, no CDN), and the few
// endpoints the page needs beside the provider's own API, which the page
// calls directly from the browser (/system/*, /function/*):
//
//   - GET /ui/api/functions lists the functions of one or every namespace
//     with the kind (container or Wasm) and artifact size of their images;
//   - POST /ui/api/stack parses a faas-cli stack.yml into the deployments
//     the page then sends to /system/functions one by one;
//   - /ui/api/compare runs a side-by-side comparison of two functions on
//     the server (bounded, cancellable, one at a time per function) and
//     reports its progress and result as JSON.
//
// It knows nothing of the backends: it uses provider.Backend, and calls
// functions through the provider's own listener, as a user would. The
// router (internal/handlers) puts /ui/ behind the same basic auth as
// /system/*.
package console
