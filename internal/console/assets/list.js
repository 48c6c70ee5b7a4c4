// The functions of both kinds in one table, filtered by namespace, kind
// and name, refreshed every two seconds.

import { h, errorBox, show, ago } from "./dom.js";
import { functions, namespaces, fnURL } from "./api.js";

const REFRESH_MS = 2000;

export function kindBadge(kind) {
  return h("span", { class: `badge ${kind || ""}` }, kind === "wasm" ? "Wasm" : kind === "container" ? "container" : "unknown");
}

function zeroState(f) {
  if (!f.replicas && !f.availableReplicas) return "scaled to zero";
  if (f.labels?.["com.openfaas.scale.zero"] === "true")
    return `to zero after ${f.labels["com.openfaas.scale.zero-duration"] || "idle"}`;
  return "off";
}

export function listPage(params) {
  const ns = h("select", { id: "f-ns", "aria-label": "Namespace" }, h("option", { value: "" }, "all namespaces"));
  const kind = h("select", { id: "f-kind", "aria-label": "Kind" },
    h("option", { value: "" }, "both kinds"), h("option", { value: "wasm" }, "Wasm"), h("option", { value: "container" }, "container"));
  const q = h("input", { id: "f-q", type: "search", placeholder: "name or image", "aria-label": "Search" });
  ns.value = params.get("namespace") || "";
  kind.value = params.get("kind") || "";
  q.value = params.get("q") || "";
  const body = h("tbody");
  const err = errorBox();
  const count = h("span", { class: "muted" });
  let last = [];

  const draw = () => {
    const text = q.value.trim().toLowerCase();
    const rows = last.filter((f) => (!kind.value || f.kind === kind.value) &&
      (!text || f.name.toLowerCase().includes(text) || f.image.toLowerCase().includes(text)));
    count.textContent = `${rows.length} of ${last.length}`;
    body.replaceChildren(...rows.map((f) => h("tr", { "data-function": f.name },
      h("td", {}, h("a", { href: fnURL(f), "data-link": true }, f.name)),
      h("td", {}, kindBadge(f.kind)),
      h("td", {}, f.namespace),
      h("td", { class: "hide-narrow" }, f.image),
      h("td", { class: "num" }, `${f.replicas || 0} / ${f.availableReplicas || 0}`),
      h("td", { class: "num" }, String(f.invocationCount || 0)),
      h("td", { class: "hide-narrow" }, ago(f.createdAt)),
      h("td", { class: "hide-narrow" }, zeroState(f)))));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, last.length ? "No function matches the filters." : "No functions yet: deploy one.")));
  };
  const remember = () => {
    const p = new URLSearchParams();
    if (ns.value) p.set("namespace", ns.value);
    if (kind.value) p.set("kind", kind.value);
    if (q.value) p.set("q", q.value);
    history.replaceState(null, "", `/ui/${p.size ? "?" + p : ""}`);
  };
  const load = async () => {
    try {
      last = await functions(ns.value);
      show(err, null);
      draw();
    } catch (e) {
      show(err, e);
    }
  };
  ns.addEventListener("change", () => { remember(); load(); });
  kind.addEventListener("change", () => { remember(); draw(); });
  q.addEventListener("input", () => { remember(); draw(); });
  namespaces().then((list) => {
    for (const n of list) ns.append(h("option", { value: n }, n));
    ns.value = params.get("namespace") || "";
  }).catch((e) => show(err, e));

  load();
  const timer = setInterval(load, REFRESH_MS);
  const node = h("section", {},
    h("h1", {}, "Functions"),
    h("div", { class: "row" }, ns, kind, q, count,
      h("a", { href: "/ui/deploy", "data-link": true }, "Deploy a function")),
    err,
    h("div", { class: "table-wrap" }, h("table", { id: "functions" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Kind"), h("th", {}, "Namespace"),
        h("th", { class: "hide-narrow" }, "Image"), h("th", { class: "num" }, "Replicas / ready"),
        h("th", { class: "num" }, "Invocations"), h("th", { class: "hide-narrow" }, "Created"),
        h("th", { class: "hide-narrow" }, "Scale to zero"))),
      body)));
  return { node, title: "Functions", stop: () => clearInterval(timer) };
}
