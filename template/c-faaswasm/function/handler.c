/* The function: greets ?name= (default "world"), with the faas-wasm C SDK
 * (sdk/c/faaswasm.h). faas-wasm build (lang c-faaswasm) compiles every .c file
 * of this directory with the SDK: clang --target=wasm32-wasi for the Wasm image,
 * clang -static for the container image. */
#include <stdio.h>
#include <string.h>

#include "faaswasm.h"

static int handle(const fw_request *req) {
  char name[128], out[256];
  if (!fw_query_param(req, "name", name, sizeof name)) strcpy(name, "world");
  int n = snprintf(out, sizeof out, "Hello, %s!\n", name);
  fw_respond(200, "text/plain; charset=utf-8", out, (size_t)n);
  return 0;
}

/* The reactor entry point, used when the module is built with
 * com.openfaas.wasm.shape: reactor (for com.openfaas.wasm.mode: warm). */
FW_REACTOR(handle)

int main(void) { return fw_run(handle); }
