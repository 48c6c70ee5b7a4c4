// Loaded before the console's modules as a classic script: when one of the
// console's own files fails to load (the provider restarted, the network
// dropped), the page says so and offers a reload instead of showing
// "Loading…" for ever. A module whose import fails reports the error on its
// <script> element; error events do not bubble, so listen while capturing.
window.addEventListener("error", (e) => {
  const el = e.target;
  if (!(el instanceof HTMLScriptElement || el instanceof HTMLLinkElement)) return;
  const main = document.getElementById("main");
  if (!main) return;
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.id = "boot-error";
  const reload = document.createElement("a");
  reload.href = location.href;
  reload.textContent = "Reload the page";
  p.append(`The console could not load ${el.src || el.href || "one of its files"}. `, reload, ".");
  main.replaceChildren(p);
}, true);
