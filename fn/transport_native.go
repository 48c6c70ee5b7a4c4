//go:build !wasip1

package fn

import "net/http"

// Transport returns the RoundTripper for outbound HTTP: natively
// http.DefaultTransport. Under wasip1 it is the RoundTripper over the
// faas_http host module; code that builds its own http.Client should use it
// so that the same source works both ways.
func Transport() http.RoundTripper { return http.DefaultTransport }
