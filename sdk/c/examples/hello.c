/* hello: greets ?name= (default "world"), echoes the POST body and the
 * X-Call-Id header; /fetch?url=U does an outbound GET through fw_http.
 *
 *   clang --target=wasm32-wasi -O2 -Wl,--strip-all -I.. -o hello.wasm hello.c ../faaswasm.c
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-all -I.. -o hello-reactor.wasm hello.c ../faaswasm.c
 *   cc -O2 -I.. -o hello hello.c ../faaswasm.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faaswasm.h"

static int handle(const fw_request *req) {
  char name[128], url[512], out[1024];
  if (!strcmp(req->path, "/fetch") && fw_query_param(req, "url", url, sizeof url)) {
    fw_http_response r;
    int rc = fw_http("GET", url, NULL, NULL, 0, &r);
    int n = snprintf(out, sizeof out, "%d %.*s", r.status, (int)(r.body_len > 900 ? 900 : r.body_len), r.body);
    fw_respond(rc ? 502 : 200, "text/plain; charset=utf-8", out, (size_t)n);
    fw_http_free(&r);
    return 0;
  }
  if (!strcmp(req->path, "/fail")) return 1;
  if (!fw_query_param(req, "name", name, sizeof name)) strcpy(name, "world");
  const char *id = fw_header(req, "X-Call-Id");
  const char *greeting = getenv("greeting"); /* a function envVar */
  int n = snprintf(out, sizeof out, "%s, %s! %s %s call=%s body=%.*s\n", greeting ? greeting : "Hello", name,
                   req->method, req->path, id ? id : "-", (int)(req->body_len > 512 ? 512 : req->body_len), req->body);
  fw_add_header("X-Hello", "1");
  fw_respond(200, "text/plain; charset=utf-8", out, (size_t)n);
  return 0;
}

/* The reactor entry point, for a build with -mexec-model=reactor (the
 * builder's com.openfaas.wasm.shape: reactor); main is the command's. */
FW_REACTOR(handle)

int main(void) { return fw_run(handle); }
