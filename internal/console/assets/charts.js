// Charts drawn as SVG by hand: a histogram of two latency series, bars for
// one measure of two functions, and a sparkline. No chart library: the
// console's charts are few and simple, and the page stays one small,
// dependency-free set of files the provider embeds.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

function svg(w, h, label) {
  return s("svg", { viewBox: `0 0 ${w} ${h}`, class: "chart", role: "img", "aria-label": label });
}

export function fmt(v) {
  if (v === 0) return "0";
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(2);
}

// histogram draws the latency distributions of a and b (ms) over the same
// log-spaced bins, as overlapping bars.
export function histogram(a, b, label) {
  const W = 420, H = 200, L = 36, B = 26, T = 8, R = 8;
  const el = svg(W, H, label);
  const all = a.concat(b).filter((v) => v > 0);
  if (!all.length) {
    el.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no successful calls"));
    return el;
  }
  const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all)) + 1e-9;
  const bins = 24, step = (hi - lo) / bins || 1;
  const count = (xs) => {
    const c = new Array(bins).fill(0);
    for (const v of xs) if (v > 0) c[Math.min(bins - 1, Math.floor((Math.log10(v) - lo) / step))]++;
    return c;
  };
  const ca = count(a), cb = count(b);
  const top = Math.max(...ca, ...cb, 1);
  const bw = (W - L - R) / bins;
  el.append(s("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  el.append(s("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  el.append(s("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, String(top)));
  el.append(s("text", { x: L - 4, y: H - B, "text-anchor": "end" }, "0"));
  for (const [c, cls, off] of [[ca, "sa", 0], [cb, "sb", bw / 2]]) {
    c.forEach((n, i) => {
      if (!n) return;
      const hgt = ((H - B - T) * n) / top;
      el.append(s("rect", { x: L + i * bw + off, y: H - B - hgt, width: bw / 2 - 1, height: hgt, class: cls }));
    });
  }
  for (let i = 0; i <= 4; i++) {
    const x = L + ((W - L - R) * i) / 4;
    const anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    el.append(s("text", { x, y: H - 8, "text-anchor": anchor }, fmt(10 ** (lo + ((hi - lo) * i) / 4)) + " ms"));
  }
  return el;
}

// bars draws one measure of A and B as horizontal bars with their values.
export function bars(items, unit, label) {
  const W = 420, H = 34 * items.length + 10, L = 110, R = 90;
  const el = svg(W, H, label);
  const top = Math.max(...items.map((i) => i.value), 1e-9);
  items.forEach((it, i) => {
    const y = 8 + i * 34, w = ((W - L - R) * it.value) / top;
    el.append(s("text", { x: L - 6, y: y + 15, "text-anchor": "end" }, it.name.length > 16 ? it.name.slice(0, 15) + "…" : it.name));
    el.append(s("rect", { x: L, y, width: Math.max(w, it.value ? 2 : 0), height: 22, class: i ? "sb" : "sa" }));
    el.append(s("text", { x: L + w + 6, y: y + 15 }, it.value ? `${fmt(it.value)} ${unit}` : "–"));
  });
  return el;
}

// sparkline draws values (oldest first) as a line with an area under it.
export function sparkline(values, label) {
  const W = 240, H = 60, P = 3;
  const el = svg(W, H, label);
  if (values.length < 2) {
    el.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "collecting…"));
    return el;
  }
  const top = Math.max(...values, 1e-9);
  const pts = values.map((v, i) => [P + ((W - 2 * P) * i) / (values.length - 1), H - P - ((H - 2 * P) * v) / top]);
  const d = pts.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
  el.append(s("path", { d: `${d}L${W - P},${H - P}L${P},${H - P}Z`, class: "sa area" }));
  el.append(s("path", { d, class: "sa line" }));
  el.append(s("text", { x: W - P, y: 12, "text-anchor": "end" }, fmt(values[values.length - 1])));
  return el;
}
