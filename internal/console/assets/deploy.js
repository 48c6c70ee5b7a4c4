// Deploy one function from a form, or every entry of a stack.yml (parsed
// by the provider, deployed one by one through /system/functions, with a
// result per entry).

import { h, errorBox, show, lines } from "./dom.js";
import { request, json, namespaces, fnURL } from "./api.js";

// deploy creates d, or updates it when it exists (as faas-cli deploy does).
async function deploy(d) {
  try {
    await request("POST", "/system/functions", d);
    return "created";
  } catch (e) {
    if (e.status !== 409) throw e;
    await request("PUT", "/system/functions", d);
    return "updated";
  }
}

export function deployPage() {
  const field = (label, input) => h("label", {}, label, input);
  const name = h("input", { id: "d-name", required: true, pattern: "[a-z0-9]([-a-z0-9]*[a-z0-9])?", placeholder: "aes-wasm" });
  const image = h("input", { id: "d-image", required: true, placeholder: "127.0.0.1:5000/aes-wasm:latest", size: 34 });
  const ns = h("select", { id: "d-ns" });
  const kind = h("select", { id: "d-kind" }, h("option", { value: "" }, "from the image"),
    h("option", { value: "wasm" }, "Wasm"), h("option", { value: "container" }, "container"));
  const env = h("textarea", { id: "d-env", placeholder: "GREETING=hello", rows: 2 });
  const labels = h("textarea", { id: "d-labels", placeholder: "com.openfaas.scale.zero=true", rows: 2 });
  const annotations = h("textarea", { id: "d-annotations", placeholder: "com.openfaas.wasm.allowed-hosts=host.faas-wasm.internal", rows: 2 });
  const memory = h("input", { id: "d-memory", placeholder: "128Mi", size: 8 });
  const cpu = h("input", { id: "d-cpu", placeholder: "500m", size: 8 });
  const secrets = h("input", { id: "d-secrets", placeholder: "db-password, api-key" });
  const err = errorBox();
  const result = h("p", { id: "d-result", "aria-live": "polite" });
  namespaces().then((list) => ns.replaceChildren(...list.map((n) => h("option", { value: n }, n)))).catch((e) => show(err, e));

  const form = h("form", { class: "panel", id: "deploy-form", "aria-label": "Deploy a function" }, h("h2", {}, "One function"),
    h("div", { class: "row" }, field("Name", name), field("Image", image), field("Namespace", ns), field("Kind", kind)),
    h("div", { class: "grid" }, field("Environment (KEY=VALUE lines)", env), field("Labels", labels), field("Annotations", annotations)),
    h("div", { class: "row" }, field("Memory limit", memory), field("CPU limit", cpu), field("Secrets (comma separated)", secrets),
      h("button", { class: "primary", type: "submit", id: "d-submit" }, "Deploy")),
    err, result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    show(err, null);
    result.textContent = "";
    try {
      const d = {
        service: name.value.trim(), image: image.value.trim(), namespace: ns.value,
        envVars: lines(env.value), labels: lines(labels.value), annotations: lines(annotations.value),
        secrets: secrets.value.split(",").map((s) => s.trim()).filter(Boolean),
      };
      if (kind.value) d.annotations["com.openfaas.runtime"] = kind.value;
      if (memory.value || cpu.value) d.limits = { memory: memory.value.trim(), cpu: cpu.value.trim() };
      const how = await deploy(d);
      result.replaceChildren(h("span", { class: "ok" }, `${d.service} ${how}. `),
        h("a", { href: fnURL({ name: d.service, namespace: d.namespace }), "data-link": true }, "Open it"));
    } catch (e2) {
      show(err, e2);
    }
  });
  return { node: h("section", {}, h("h1", {}, "Deploy"), h("div", { class: "grid" }, form, stackForm())), title: "Deploy" };
}

function stackForm() {
  const file = h("input", { type: "file", id: "stack-file", accept: ".yml,.yaml,text/yaml" });
  const text = h("textarea", { id: "stack-text", rows: 8, placeholder: "version: 1.0\nfunctions:\n  aes-wasm:\n    image: 127.0.0.1:5000/aes-wasm:latest\n    annotations:\n      com.openfaas.runtime: wasm" });
  const err = errorBox();
  const results = h("tbody");
  file.addEventListener("change", async () => { if (file.files[0]) text.value = await file.files[0].text(); });
  const form = h("form", { class: "panel", id: "stack-form", "aria-label": "Deploy a stack" }, h("h2", {}, "A stack.yml"),
    h("p", { class: "muted" }, "Every entry's image is deployed (or updated); ${VAR:-default} takes its default."),
    h("label", {}, "File", file), h("label", {}, "or paste it", text),
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Deploy the stack")), err,
    h("div", { class: "table-wrap" }, h("table", { id: "stack-results" },
      h("thead", {}, h("tr", {}, h("th", {}, "Function"), h("th", {}, "Image"), h("th", {}, "Result"))), results)));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    show(err, null);
    results.replaceChildren();
    let deployments;
    try {
      deployments = await json("POST", "/ui/api/stack", text.value);
    } catch (e2) {
      return show(err, e2);
    }
    for (const d of deployments) {
      const cell = h("td", {}, "deploying…");
      results.append(h("tr", {}, h("td", {}, d.service), h("td", {}, d.image), cell));
      try {
        const how = await deploy(d);
        cell.replaceChildren(h("span", { class: "ok" }, how), " ",
          h("a", { href: `/ui/?q=${encodeURIComponent(d.service)}`, "data-link": true }, "find it"));
      } catch (e3) {
        cell.replaceChildren(h("span", { class: "error" }, e3.message));
      }
    }
  });
  return form;
}
