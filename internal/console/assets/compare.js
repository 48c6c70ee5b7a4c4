// Side by side: two functions called through the provider by the
// server-side runner (/ui/api/compare), N calls serial and at a
// concurrency, optionally a cold start each; latency distributions,
// cold-start times, throughput and artifact sizes as charts with ratios.
// The URL keeps the picked functions and the comparison's id.

import { h, errorBox, show, bytes } from "./dom.js";
import { json, request, functions, fnRef } from "./api.js";
import { histogram, bars, fmt } from "./charts.js";

const POLL_MS = 400;

export function comparePage(params) {
  const a = h("select", { id: "c-a", "aria-label": "Function A" });
  const b = h("select", { id: "c-b", "aria-label": "Function B" });
  const calls = h("input", { id: "c-calls", type: "number", min: "1", value: params.get("calls") || "100", class: "narrow" });
  const conc = h("input", { id: "c-conc", type: "number", min: "1", value: params.get("concurrency") || "8", class: "narrow" });
  const cold = h("input", { id: "c-cold", type: "checkbox", checked: params.get("cold") !== "false" });
  const path = h("input", { id: "c-path", value: params.get("path") || "/", size: 10 });
  const run = h("button", { class: "primary", type: "submit", id: "c-run" }, "Run comparison");
  const cancel = h("button", { type: "button", id: "c-cancel", disabled: true }, "Cancel");
  const exp = h("button", { type: "button", id: "c-export", disabled: true }, "Export JSON");
  const err = errorBox();
  const progress = h("progress", { id: "c-progress", max: "1", value: "0" });
  const state = h("p", { id: "c-state", "aria-live": "polite", class: "muted" });
  const out = h("div", { id: "c-out" });
  let current = null, timer = null;

  const option = (f) => h("option", { value: fnRef(f.name, f.namespace) }, `${f.name} (${f.kind || "?"}, ${f.namespace})`);
  functions().then((list) => {
    a.replaceChildren(...list.map(option));
    b.replaceChildren(...list.map(option));
    if (params.get("a")) a.value = params.get("a");
    if (params.get("b")) b.value = params.get("b");
    else if (list.length > 1) b.selectedIndex = 1;
  }).catch((e) => show(err, e));

  const target = (ref) => {
    const i = ref.lastIndexOf(".");
    return { name: ref.slice(0, i), namespace: ref.slice(i + 1) };
  };
  const remember = (id) => {
    const p = new URLSearchParams({ a: a.value, b: b.value, calls: calls.value, concurrency: conc.value, cold: String(cold.checked), path: path.value });
    if (id) p.set("run", id);
    history.replaceState(null, "", `/ui/compare?${p}`);
  };
  const poll = async (id) => {
    try {
      current = await json("GET", `/ui/api/compare/${id}`);
      show(err, null);
      draw(current);
      if (current.state === "running") timer = setTimeout(() => poll(id), POLL_MS);
    } catch (e) {
      show(err, e);
    }
  };
  const draw = (c) => {
    progress.max = c.total;
    progress.value = c.done;
    const running = c.state === "running";
    run.disabled = running;
    cancel.disabled = !running;
    exp.disabled = running;
    state.textContent = `${c.state}: ${c.done} of ${c.total} calls${c.error ? " — " + c.error : ""}`;
    out.replaceChildren(...(running ? [] : result(c)));
  };

  const form = h("form", { class: "panel", id: "compare-form", "aria-label": "Comparison" },
    h("div", { class: "row" }, h("label", {}, "A", a), h("label", {}, "B", b), h("label", {}, "Calls (N)", calls),
      h("label", {}, "Concurrency", conc), h("label", {}, "Path", path), h("label", { class: "inline" }, cold, "Cold start"),
      run, cancel, exp), err, progress, state);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    show(err, null);
    clearTimeout(timer);
    try {
      const c = await json("POST", "/ui/api/compare", {
        a: target(a.value), b: target(b.value), calls: Number(calls.value), concurrency: Number(conc.value),
        coldStart: cold.checked, path: path.value,
      });
      remember(c.id);
      draw(c);
      poll(c.id);
    } catch (e2) {
      show(err, e2);
    }
  });
  cancel.addEventListener("click", async () => {
    if (!current) return;
    try { await request("DELETE", `/ui/api/compare/${current.id}`); } catch (e) { show(err, e); }
  });
  exp.addEventListener("click", () => {
    if (!current) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(current, null, 2)], { type: "application/json" }));
    const link = h("a", { href: url, download: `comparison-${current.id}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  if (params.get("run")) poll(params.get("run"));
  const node = h("section", {}, h("h1", {}, "Side by side"),
    h("p", { class: "muted" }, "Each function is called through the provider: a cold start (scale to zero, then one call), N calls alternating A and B, then N calls at the concurrency, A then B."),
    form, out);
  return { node, title: "Side by side", stop: () => clearTimeout(timer) };
}

// times says how B compares with A for a measure where lower is better.
function times(ratio, lowerBetter = true) {
  if (!ratio) return "–";
  const better = lowerBetter ? ratio < 1 : ratio > 1;
  const f = ratio >= 1 ? ratio : 1 / ratio;
  return `B/A = ${fmt(ratio)}× (B ${fmt(f)}× ${better ? "better" : "worse"})`;
}

function result(c) {
  const [A, B] = c.results;
  const legend = h("div", { class: "legend" }, h("span", { class: "ka" }, `A: ${A.function.name} (${A.function.kind || "?"})`), h("span", { class: "kb" }, `B: ${B.function.name} (${B.function.kind || "?"})`));
  const fig = (title, ratioText, chart) => h("figure", { class: "panel" }, h("figcaption", {}, title), h("p", { class: "ratio" }, ratioText), chart);
  const pct = (p) => h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, ""), ...["min", "p50", "p90", "p99", "max"].map((k) => h("th", { class: "num" }, k)))),
    h("tbody", {}, ...[["A", A[p]], ["B", B[p]]].map(([k, ph]) => h("tr", {}, h("td", {}, k),
      ...["min", "p50", "p90", "p99", "max"].map((q) => h("td", { class: "num" }, fmt(ph.summary[q]))),
      ph.errors ? h("td", { class: "error" }, `${ph.errors} errors: ${ph.firstError}`) : null))));
  const errs = [A, B].filter((r) => r.coldError).map((r) => h("p", { class: "error" }, `${r.function.name}: ${r.coldError}`));
  return [legend, ...errs, h("div", { class: "charts", id: "c-charts" },
    fig("Latency, serial (ms)", times(c.ratios.serialP50) + " at p50", histogram(A.serial.latenciesMs, B.serial.latenciesMs, "serial latency distribution")),
    fig(`Latency at concurrency ${c.request.concurrency} (ms)`, times(c.ratios.concurrentP50) + " at p50", histogram(A.concurrent.latenciesMs, B.concurrent.latenciesMs, "concurrent latency distribution")),
    fig("Cold start (ms)", times(c.ratios.coldStart), bars([{ name: A.function.name, value: A.coldStartMs || 0 }, { name: B.function.name, value: B.coldStartMs || 0 }], "ms", "cold start")),
    fig(`Throughput at concurrency ${c.request.concurrency} (calls/s)`, times(c.ratios.throughput, false), bars([{ name: A.function.name, value: A.concurrent.throughput }, { name: B.function.name, value: B.concurrent.throughput }], "/s", "throughput")),
    fig("Artifact size", times(c.ratios.artifactBytes), bars([{ name: A.function.name, value: (A.function.artifactBytes || 0) / 1048576 }, { name: B.function.name, value: (B.function.artifactBytes || 0) / 1048576 }], "MiB", "artifact size")),
    h("figure", { class: "panel" }, h("figcaption", {}, "Percentiles, serial (ms)"), pct("serial"),
      h("figcaption", {}, `Percentiles at concurrency ${c.request.concurrency} (ms)`), pct("concurrent"),
      h("p", { class: "muted" }, `Artifacts: ${bytes(A.function.artifactBytes)} vs ${bytes(B.function.artifactBytes)}`)))];
}
