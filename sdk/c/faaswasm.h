/*
 * faaswasm.h — the faas-wasm function SDK for C (C11).
 *
 * One handler, two builds of the same faaswasm.c:
 *   - wasm32-wasi (clang --target=wasm32-wasi, wasi-libc): a command module of
 *     the faas-wasm ABI (docs/abi.md). fw_run reads the request from the CGI
 *     variables and stdin, calls the handler once, writes a CGI header block
 *     and the body to stdout.
 *   - natively (any POSIX cc): fw_run serves HTTP/1.1 on :8080 (env PORT)
 *     with keep-alive, one process per connection (fork), Content-Length
 *     request bodies only (chunked bodies get 411), GET/HEAD /_/health, and a
 *     bounded drain on SIGTERM (env drain_timeout, default 10 s).
 *
 * In both forms /_/health answers 200 "OK" without calling the handler and
 * every response carries X-Duration-Seconds. Nothing here is thread-safe:
 * one request is handled at a time per process.
 */
#ifndef FAASWASM_H
#define FAASWASM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The request. Strings are NUL-terminated and live until the handler returns.
 * query is the raw (URL-encoded) query string without '?', "" when none. */
typedef struct {
  const char *method, *path, *query;
  const char *body;   /* NUL-terminated too, for convenience */
  size_t body_len;
} fw_request;

/* A handler answers with fw_respond and returns 0. A non-zero return without
 * a response means failure: the Wasm module exits 1 (the host answers 500),
 * the native server answers 500. Returning 0 without fw_respond sends 200
 * with an empty body. */
typedef int (*fw_handler)(const fw_request *req);

/* The first value of request header `name` (case-insensitive), or NULL. */
const char *fw_header(const fw_request *req, const char *name);

/* The first value of query parameter `key`, URL-decoded (+ and %XX) into
 * buf (at most size-1 bytes, NUL-terminated); returns buf, or NULL when the
 * parameter is absent. */
char *fw_query_param(const fw_request *req, const char *key, char *buf, size_t size);

/* Queues a response header for the next fw_respond (at most 32 per response;
 * CR/LF in values become spaces). Framing headers are ignored. */
void fw_add_header(const char *name, const char *value);

/* Sends the response: status, Content-Type (omitted when NULL or ""), the
 * queued headers and len bytes of body. Only the first call per request
 * counts. */
void fw_respond(int status, const char *content_type, const void *body, size_t len);

/* Runs the function; call it from main and return its result. Wasm: handles
 * the one request and returns 0 (1 on failure). Native: serves until SIGTERM
 * or SIGINT, returns 0 after a clean drain, 1 when it cannot listen or the
 * drain timed out. */
int fw_run(fw_handler handler);

/* Reactor form (wasm32-wasi only; nothing natively): FW_REACTOR(handle), at
 * file scope and without a semicolon, exports handle as the ABI's
 * faas_handle (docs/abi.md). Built with clang -mexec-model=reactor (the
 * builder's com.openfaas.wasm.shape: reactor) the module is a reactor: each
 * faas_handle call reads the request envelope from stdin and answers as
 * fw_run does for a command module's one request, and in warm mode one
 * instance serves call after call (statics and the heap persist; nothing
 * the SDK keeps of one request is seen by the next). A command module built from the same
 * sources exports faas_handle too and stays a command module. In a reactor
 * the request's variables are not in the environment: use fw_request and
 * fw_header (getenv gives the function's own variables only). */
#ifdef __wasi__
int fw_reactor_call(fw_handler handler);
#define FW_REACTOR(handler)                                  \
  __attribute__((export_name("faas_handle"))) int faas_handle(void); \
  int faas_handle(void) { return fw_reactor_call(handler); }
#else
#define FW_REACTOR(handler)
#endif

/* Outbound HTTP/1.1 (Wasm: host module faas_http, only to hosts in the
 * com.openfaas.wasm.allowed-hosts annotation, http:// and https://; native:
 * a plain socket, http:// only). headers is "Name: value\r\n"-terminated
 * lines or NULL. Returns 0 and fills out (status, body) on success; returns
 * -1 on failure with status 0 and body holding the error message. Free with
 * fw_http_free in both cases. */
typedef struct {
  int status;
  const char *body;   /* NUL-terminated */
  size_t body_len;
  char *raw_;         /* owns the memory */
} fw_http_response;

int fw_http(const char *method, const char *url, const char *headers,
            const void *body, size_t body_len, fw_http_response *out);
void fw_http_free(fw_http_response *resp);

/* The directory of the function's secrets: one file per secret, named after
 * it, as in every OpenFaaS function. */
#define FW_SECRETS_PATH "/var/openfaas/secrets"

/* Reads the function's secret `name` (the file FW_SECRETS_PATH/name, as it
 * is) into buf, NUL-terminated. Returns its length, or -1 with errno set and
 * an error message in buf (cut to size-1 bytes):
 *   - ENOENT, "secret NAME not found": the function has no such secret, also
 *     when it has none at all (a Wasm function without secrets has no
 *     filesystem, so no FW_SECRETS_PATH);
 *   - EINVAL: name is empty, "." or "..", or has a '/'; or size is 0;
 *   - EFBIG: the secret does not fit in size-1 bytes;
 *   - the error of open or read otherwise ("secret NAME: reason"). */
long fw_secret(const char *name, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
