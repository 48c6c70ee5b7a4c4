// Small DOM helpers: elements are built with textContent, never innerHTML,
// so names, logs and answers from functions cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// errorBox is the place next to a control where its errors appear.
export function errorBox() {
  return h("p", { class: "error", role: "alert" });
}

// show puts err's message (or clears it) in box.
export function show(box, err) {
  box.textContent = err ? (err.message || String(err)) : "";
}

export function bytes(n) {
  if (!n) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function ago(date) {
  const t = Date.parse(date);
  if (!t || t < 0) return "–";
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

// lines parses "KEY=VALUE" (or "Key: value" with sep ":") lines into an object.
export function lines(text, sep = "=") {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf(sep);
    if (i <= 0) throw new Error(`"${line}" is not ${sep === "=" ? "KEY=VALUE" : "Name: value"}`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
