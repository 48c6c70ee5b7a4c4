// Package async runs function calls later: the asynchronous invocations of
// OpenFaaS (POST /async-function/NAME). Enqueue stores a Call durably in a
// NATS JetStream stream (embedded in local mode, see StartEmbedded; a NATS
// server in the cluster in kubernetes mode); workers take the calls back,
// run each through the provider's synchronous invocation handler (the one
// that serves /function/), retry retryable failures with back-off, and POST
// the result to the call's callback URL with the queue-worker's headers.
//
// Delivery is at least once: a call is acknowledged only after its result
// was delivered (or its callback gave up), so a provider killed mid-call
// runs it again after the acknowledgement wait. Each function has its own
// durable consumer whose MaxAckPending is the function's concurrency
// limit, so the limit holds across provider replicas.
//
// The package knows nothing of HTTP routing or of backends: the HTTP layer
// decodes the request into a Call, and the invocation handler it is given
// decides how a function runs.
package async
