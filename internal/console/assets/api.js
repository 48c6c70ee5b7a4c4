// The provider's API as the page uses it. The browser sends the basic auth
// credentials it was asked for when it loaded /ui/ with every request to
// the same origin, so /system/* calls need nothing more.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// request sends a request and returns the response; answers of 400 and
// more throw an ApiError with the provider's message.
export async function request(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === "string") init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `${method} ${path}: the provider did not answer (${e.message})`);
  }
  if (resp.status >= 400) {
    const text = (await resp.text()).trim();
    throw new ApiError(resp.status, `${method} ${path}: ${resp.status} ${text || resp.statusText}`);
  }
  return resp;
}

export async function json(method, path, body) {
  const resp = await request(method, path, body);
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

export const fnRef = (name, ns) => `${name}.${ns}`;
export const fnURL = (f) => `/ui/functions/${encodeURIComponent(f.namespace)}/${encodeURIComponent(f.name)}`;

export function functions(namespace = "") {
  return json("GET", `/ui/api/functions${namespace ? "?namespace=" + encodeURIComponent(namespace) : ""}`);
}

export function namespaces() {
  return json("GET", "/system/namespaces");
}

export function scale(name, namespace, replicas) {
  return request("POST", `/system/scale-function/${encodeURIComponent(name)}?namespace=${encodeURIComponent(namespace)}`,
    { serviceName: name, namespace, replicas });
}

// streamLogs calls onLine with each log message until signal aborts.
export async function streamLogs(name, namespace, { tail = 50, follow = true, signal }, onLine) {
  const q = new URLSearchParams({ name, namespace, tail: String(tail), follow: String(follow) });
  const resp = await fetch(`/system/logs?${q}`, { signal });
  if (resp.status >= 400) throw new ApiError(resp.status, `logs: ${resp.status} ${(await resp.text()).trim()}`);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(JSON.parse(line));
    }
  }
}

// metrics returns the provider's Prometheus counters for one function:
// invocations (all codes), errors (5xx), the sum of call seconds, and the
// scale-from-zero count.
export async function metrics(name, namespace) {
  const text = await (await request("GET", "/metrics")).text();
  const want = `function_name="${fnRef(name, namespace)}"`;
  const out = { invocations: 0, errors: 0, seconds: 0, wakes: 0 };
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.includes(want)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("gateway_function_invocation_total{")) {
      out.invocations += value;
      if (/code="5/.test(line)) out.errors += value;
    } else if (line.startsWith("gateway_functions_seconds_sum{")) out.seconds += value;
    else if (line.startsWith("faaswasm_scale_from_zero_seconds_count{")) out.wakes += value;
  }
  return out;
}
