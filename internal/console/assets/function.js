// One function: its status, an invoke box, its logs (tail and follow),
// scale (0 included), delete with confirmation, the namespace's secrets
// (names only) and its Prometheus counters as small charts.

import { h, errorBox, show, bytes, ago, lines } from "./dom.js";
import { json, request, scale, streamLogs, metrics, fnRef } from "./api.js";
import { sparkline } from "./charts.js";
import { kindBadge } from "./list.js";
import { navigate } from "./app.js";

const REFRESH_MS = 2000;
const METRIC_POINTS = 60;
const MAX_LOG_LINES = 500;

export function functionPage(namespace, name) {
  const stops = [];
  const status = h("dl", { class: "kv", id: "status" });
  const statusErr = errorBox();
  const node = h("section", {},
    h("p", {}, h("a", { href: "/ui/", "data-link": true }, "← Functions")),
    h("h1", {}, name, " ", h("span", { class: "muted" }, namespace)),
    statusErr,
    h("div", { class: "grid" },
      h("div", { class: "panel" }, h("h2", {}, "Status"), status, scalePanel(name, namespace), deletePanel(name, namespace)),
      invokePanel(name, namespace),
      logsPanel(name, namespace, stops),
      metricsPanel(name, namespace, stops),
      secretsPanel(namespace)));

  const load = async () => {
    try {
      const [f] = (await json("GET", `/ui/api/functions?namespace=${encodeURIComponent(namespace)}`)).filter((x) => x.name === name);
      if (!f) throw new Error(`function ${name} is not in namespace ${namespace} (deleted?)`);
      show(statusErr, null);
      const item = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
      status.replaceChildren(
        ...item("Kind", kindBadge(f.kind)),
        ...item("Image", f.image),
        ...item("Artifact", bytes(f.artifactBytes)),
        ...item("Replicas", h("span", { id: "replicas" }, `${f.replicas || 0} wanted, ${f.availableReplicas || 0} ready`)),
        ...item("Invocations", String(f.invocationCount || 0)),
        ...item("Created", ago(f.createdAt)),
        ...item("Labels", Object.entries(f.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–"),
        ...item("Annotations", Object.entries(f.annotations || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–"),
        ...item("Secrets", (f.secrets || []).join(", ") || "–"));
    } catch (e) {
      show(statusErr, e);
    }
  };
  load();
  const timer = setInterval(load, REFRESH_MS);
  stops.push(() => clearInterval(timer));
  return { node, title: name, stop: () => stops.forEach((s) => s()) };
}

function invokePanel(name, namespace) {
  const method = h("select", { id: "inv-method", "aria-label": "Method" },
    ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => h("option", { value: m }, m)));
  const path = h("input", { id: "inv-path", value: "/", "aria-label": "Path", size: 12 });
  const query = h("input", { id: "inv-query", placeholder: "a=1&b=2", "aria-label": "Query", size: 12 });
  const headers = h("textarea", { id: "inv-headers", placeholder: "Content-Type: text/plain", rows: 2, "aria-label": "Headers" });
  const body = h("textarea", { id: "inv-body", placeholder: "body", rows: 3, "aria-label": "Body" });
  const out = h("div", { id: "inv-result" });
  const err = errorBox();
  const send = h("button", { class: "primary", id: "inv-send", type: "submit" }, "Invoke");
  const form = h("form", { class: "panel", "aria-label": "Invoke" }, h("h2", {}, "Invoke"),
    h("div", { class: "row" }, method, path, query, send), h("label", {}, "Headers", headers), h("label", {}, "Body", body), err, out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    send.disabled = true;
    show(err, null);
    try {
      const hdrs = lines(headers.value, ":");
      const p = path.value.startsWith("/") ? path.value : "/" + path.value;
      const url = `/function/${encodeURIComponent(fnRef(name, namespace))}${p}${query.value ? "?" + query.value.replace(/^\?/, "") : ""}`;
      const init = { method: method.value, headers: hdrs };
      if (!["GET", "HEAD"].includes(method.value) && body.value) init.body = body.value;
      const t0 = performance.now();
      const resp = await fetch(url, init);
      const text = await resp.text();
      const ms = performance.now() - t0;
      const head = [...resp.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
      out.replaceChildren(
        h("p", {}, h("strong", { class: resp.ok ? "ok" : "", id: "inv-status" }, `${resp.status} ${resp.statusText}`), ` in ${ms.toFixed(1)} ms`),
        h("details", {}, h("summary", {}, "Headers"), h("pre", {}, head)),
        h("pre", { id: "inv-body-out" }, text));
    } catch (e2) {
      show(err, e2);
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

function logsPanel(name, namespace, stops) {
  const pre = h("pre", { class: "logs", id: "logs", "aria-live": "polite", tabindex: "0" });
  const err = errorBox();
  const follow = h("input", { type: "checkbox", id: "logs-follow", checked: true });
  const tail = h("input", { type: "number", id: "logs-tail", value: "50", min: "0", max: "1000", "aria-label": "Tail lines", class: "narrow" });
  let ctrl = null;
  const start = () => {
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    pre.textContent = "";
    show(err, null);
    const mine = ctrl;
    streamLogs(name, namespace, { tail: Number(tail.value) || 0, follow: follow.checked, signal: ctrl.signal }, (m) => {
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.append(`${m.timestamp.slice(11, 23)} ${m.instance ? m.instance.slice(0, 12) + " " : ""}${m.text}\n`);
      while (pre.childNodes.length > MAX_LOG_LINES) pre.firstChild.remove();
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }).catch((e) => { if (!mine.signal.aborted) show(err, e); });
  };
  follow.addEventListener("change", start);
  tail.addEventListener("change", start);
  start();
  stops.push(() => ctrl && ctrl.abort());
  return h("div", { class: "panel" }, h("h2", {}, "Logs"),
    h("div", { class: "row" }, h("label", { class: "inline" }, follow, "Follow"), h("label", { class: "inline" }, "Tail", tail),
      h("button", { type: "button", onclick: start }, "Reload")), err, pre);
}

function scalePanel(name, namespace) {
  const n = h("input", { type: "number", id: "scale-n", min: "0", value: "1", "aria-label": "Replicas", class: "narrow" });
  const err = errorBox();
  const done = h("span", { class: "muted", id: "scale-done", "aria-live": "polite" });
  const btn = h("button", { type: "submit", id: "scale-btn" }, "Scale");
  const zero = h("button", { type: "button", id: "scale-zero" }, "Scale to 0");
  const run = async (replicas) => {
    show(err, null);
    done.textContent = "";
    try {
      await scale(name, namespace, replicas);
      done.textContent = `asked for ${replicas} replica${replicas === 1 ? "" : "s"}`;
    } catch (e) {
      show(err, e);
    }
  };
  zero.addEventListener("click", () => run(0));
  const form = h("form", { "aria-label": "Scale" }, h("h2", { class: "sub" }, "Scale"),
    h("div", { class: "row" }, h("label", {}, "Replicas", n), btn, zero, done), err);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Number(n.value);
    if (!Number.isInteger(v) || v < 0) return show(err, new Error("replicas must be a whole number, 0 or more"));
    run(v);
  });
  return form;
}

function deletePanel(name, namespace) {
  const err = errorBox();
  const dialog = h("dialog", { id: "delete-dialog", "aria-label": "Confirm delete" },
    h("form", { method: "dialog" },
      h("p", {}, "Delete ", h("strong", {}, name), ` from ${namespace}? Its replicas stop and its calls fail from now on.`),
      h("div", { class: "row" }, h("button", { value: "cancel", autofocus: true }, "Cancel"),
        h("button", { value: "delete", class: "danger", id: "delete-confirm" }, "Delete"))));
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete") return;
    try {
      await request("DELETE", "/system/functions", { functionName: name, namespace });
      navigate("/ui/");
    } catch (e) {
      show(err, e);
    }
  });
  return h("div", {}, h("h2", { class: "sub" }, "Delete"),
    h("button", { type: "button", class: "danger", id: "delete-btn", onclick: () => { dialog.returnValue = ""; dialog.showModal(); } }, "Delete function…"),
    err, dialog);
}

function metricsPanel(name, namespace, stops) {
  const series = { calls: [], latency: [], errors: [] };
  const charts = h("div", { class: "charts", id: "metric-charts" });
  const err = errorBox();
  const wakes = h("span", { class: "muted" });
  let prev = null;
  const tick = async () => {
    try {
      const m = await metrics(name, namespace);
      show(err, null);
      if (prev) {
        const dt = (Date.now() - prev.at) / 1000;
        const calls = Math.max(0, m.invocations - prev.invocations);
        series.calls.push(calls / dt);
        series.errors.push(Math.max(0, m.errors - prev.errors) / dt);
        series.latency.push(calls ? (1000 * (m.seconds - prev.seconds)) / calls : 0);
        for (const s of Object.values(series)) if (s.length > METRIC_POINTS) s.shift();
      }
      prev = { ...m, at: Date.now() };
      wakes.textContent = `${m.invocations} calls, ${m.errors} errors, ${m.wakes} scale-from-zero`;
      charts.replaceChildren(
        h("figure", {}, h("figcaption", {}, "calls/s"), sparkline(series.calls, "calls per second")),
        h("figure", {}, h("figcaption", {}, "mean latency, ms"), sparkline(series.latency, "mean latency")),
        h("figure", {}, h("figcaption", {}, "5xx/s"), sparkline(series.errors, "server errors per second")));
    } catch (e) {
      show(err, e);
    }
  };
  tick();
  const timer = setInterval(tick, REFRESH_MS);
  stops.push(() => clearInterval(timer));
  return h("div", { class: "panel" }, h("h2", {}, "Prometheus counters"), wakes, err, charts);
}

function secretsPanel(namespace) {
  const list = h("ul", { id: "secrets" });
  const err = errorBox();
  const sname = h("input", { id: "secret-name", placeholder: "name", "aria-label": "Secret name", required: true });
  const value = h("input", { id: "secret-value", type: "password", placeholder: "value", "aria-label": "Secret value", autocomplete: "off" });
  const load = async () => {
    try {
      const items = await json("GET", `/system/secrets?namespace=${encodeURIComponent(namespace)}`);
      list.replaceChildren(...items.map((s) => h("li", {}, s.name, " ",
        h("button", { type: "button", onclick: () => { sname.value = s.name; value.focus(); } }, "Update…"), " ",
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm(`Delete secret ${s.name}?`)) return;
          try { await request("DELETE", "/system/secrets", { name: s.name, namespace }); show(err, null); load(); } catch (e) { show(err, e); }
        } }, "Delete"))));
      if (!items.length) list.append(h("li", { class: "muted" }, "none"));
    } catch (e) {
      show(err, e);
    }
  };
  const form = h("form", { class: "panel", "aria-label": "Secrets" }, h("h2", {}, `Secrets of ${namespace}`),
    h("p", { class: "muted" }, "Names only: values are never shown."), list,
    h("div", { class: "row" }, sname, value, h("button", { type: "submit" }, "Create or update")), err);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: sname.value.trim(), namespace, value: value.value };
    try {
      try {
        await request("POST", "/system/secrets", body);
      } catch (e2) {
        if (e2.status !== 409) throw e2;
        await request("PUT", "/system/secrets", body);
      }
      value.value = "";
      show(err, null);
      load();
    } catch (e3) {
      show(err, e3);
    }
  });
  load();
  return form;
}
