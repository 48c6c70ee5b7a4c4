// The console's entry point: a small router over the History API. Every
// page has its own URL below /ui/ (the provider answers the same page for
// all of them), so function pages and comparisons can be bookmarked.

import { h } from "./dom.js";
import { json } from "./api.js";
import { listPage } from "./list.js";
import { functionPage } from "./function.js";
import { deployPage } from "./deploy.js";
import { comparePage } from "./compare.js";

const main = document.getElementById("main");
let leave = null; // stops the current page's polling and streams

function route() {
  const path = location.pathname.replace(/^\/ui/, "") || "/";
  const params = new URLSearchParams(location.search);
  let m;
  if (path === "/" || path === "/functions") return ["functions", () => listPage(params)];
  if ((m = path.match(/^\/functions\/([^/]+)\/([^/]+)$/)))
    return ["functions", () => functionPage(decodeURIComponent(m[1]), decodeURIComponent(m[2]))];
  if (path === "/deploy") return ["deploy", () => deployPage()];
  if (path === "/compare") return ["compare", () => comparePage(params)];
  return ["", () => ({ node: h("div", {}, h("h1", {}, "Not found"), h("p", {}, "No console page at ", location.pathname, ". "), h("a", { href: "/ui/", "data-link": true }, "Functions")) })];
}

function render() {
  if (leave) leave();
  leave = null;
  const [nav, page] = route();
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const { node, stop, title } = page();
  document.title = `${title ? title + " · " : ""}faas-wasm console`;
  main.replaceChildren(node);
  leave = stop || null;
}

// navigate goes to url inside the console without reloading the page.
export function navigate(url, replace = false) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
  main.focus({ preventScroll: true });
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-link]");
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", render);

// Local mode answers in the OpenFaaS gateway's form (the provider nested
// under "provider"); behind a gateway, the provider's own form.
json("GET", "/system/info").then((info) => {
  const p = typeof info.provider === "object" ? info.provider : info;
  document.getElementById("provider").textContent =
    `${p.provider} · ${p.orchestration} · ${p.version?.release || ""}`;
}).catch(() => {});

render();
