// The node and job views: a table of the cluster's nodes, or one job's card.
//
// Both draw the model's `data` and redraw when it changes. While a view is on a
// visible page and its data can still change (`final` is false), it requests fresh
// data from the kernel every `interval` seconds with a "refresh" message.

const FINAL = new Set(["finished", "error", "timeout", "cancelled", "skipped"]);

function node(tag, attributes = {}, parent = null, text = null) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  if (text !== null) element.textContent = text;
  if (parent) parent.appendChild(element);
  return element;
}

function formatBytes(count) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let index = 0;
  while (count >= 1024 && index < units.length - 1) {
    count /= 1024;
    index += 1;
  }
  return index === 0 ? `${count} B` : `${count.toFixed(1)} ${units[index]}`;
}

function formatTime(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "–";
}

function formatDuration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function drawNodes(root, data) {
  const nodes = data.nodes || [];
  root.className = "hero-records hero-nodes";
  const head = node("div", { class: "hero-records__head" }, root);
  const alive = nodes.filter((item) => item.alive !== false).length;
  node("strong", {}, head, "Hero nodes");
  node("span", { class: "hero-records__muted" }, head, `${alive} of ${nodes.length} alive`);
  if (nodes.length === 0) {
    node("div", { class: "hero-records__empty" }, root, "No Hero nodes yet.");
    return;
  }

  const table = node("table", { class: "hero-nodes__table" }, root);
  const header = node("tr", {}, node("thead", {}, table));
  for (const title of ["node", "state", "runners", "running", "done", "HeroDB"]) {
    node("th", {}, header, title);
  }

  const body = node("tbody", {}, table);
  for (const item of nodes) {
    const live = item.alive !== false;
    const row = node("tr", { "data-node": item.name, "data-alive": String(live) }, body);
    node("td", { class: "hero-nodes__name" }, row, item.name);
    const state = node("td", { "data-field": "alive" }, row);
    node("span", { class: `hero-nodes__dot hero-nodes__dot--${live ? "alive" : "gone"}` }, state, live ? "●" : "○");
    state.append(live ? " alive" : " gone");
    const runners = node("td", { "data-field": "runners" }, row);
    for (const runner of item.runners || []) node("span", { class: "hero-records__chip" }, runners, runner);
    const running = item.running || [];
    const cell = node("td", { "data-field": "running", title: running.join("\n") }, row, String(running.length));
    if (running.length) cell.classList.add("hero-nodes__busy");
    node("td", { "data-field": "done" }, row, String(item.jobs_done || 0));
    node("td", { "data-field": "herodb" }, row, `${item.herodb_keys || 0} keys · ${formatBytes(item.herodb_bytes || 0)}`);
  }
}

function drawJob(root, data, palette) {
  const look = palette.styles[data.state] || palette.unknown;
  root.className = "hero-records hero-job";
  root.dataset.state = data.state;
  root.style.setProperty("--hero-state", look.colour);
  root.style.setProperty("--hero-tint", look.tint);
  const head = node("div", { class: "hero-records__head" }, root);
  node("span", { class: "hero-job__icon" }, head, look.icon);
  node("strong", { class: "hero-job__name" }, head, data.name);
  node("span", { class: "hero-job__state", "data-field": "state" }, head, look.label);
  node("div", { class: "hero-records__muted" }, root, data.id);

  const facts = node("dl", { class: "hero-job__facts" }, root);
  let took = null;
  if (data.started) {
    const end = data.finished || (FINAL.has(data.state) ? data.started : Date.now() / 1000);
    took = formatDuration(Math.max(end - data.started, 0));
  }
  for (const [term, value] of [
    ["runner", data.runner || "–"],
    ["node", data.node || "–"],
    ["tries", String(data.tries)],
    ["submitted", formatTime(data.submitted)],
    ["started", formatTime(data.started)],
    ["finished", formatTime(data.finished)],
    [FINAL.has(data.state) ? "took" : "running for", took || "–"],
  ]) {
    node("dt", {}, facts, term);
    node("dd", { "data-field": term }, facts, value);
  }

  if (data.error) {
    node("div", { class: "hero-records__label" }, root, "error");
    node("pre", { class: "hero-job__error" }, root, data.error);
  }
  if (data.result !== null && data.result !== undefined) {
    node("div", { class: "hero-records__label" }, root, "result");
    node("pre", { class: "hero-job__result" }, root, data.result);
  }
  const kept = (data.output || []).length;
  const label = kept < data.lines ? `output (last ${kept} of ${data.lines} lines)` : "output";
  node("div", { class: "hero-records__label" }, root, label);
  node("pre", { class: "hero-job__output" }, root, (data.output || []).join("\n") || "no output");
}

function render({ model, el }) {
  const root = node("div", { class: "hero-records" }, el);
  const draw = () => {
    root.replaceChildren();
    const data = model.get("data");
    if (model.get("kind") === "nodes") drawNodes(root, data);
    else drawJob(root, data, model.get("palette"));
    const problem = model.get("problem");
    if (problem) node("div", { class: "hero-records__problem" }, root, problem);
  };
  draw();
  model.on("change:data", draw);
  model.on("change:problem", draw);
  const ask = () => {
    if (model.get("final") || !root.isConnected || document.visibilityState !== "visible") return;
    model.send({ type: "refresh" });
  };
  const timer = setInterval(ask, Math.max(model.get("interval"), 0.2) * 1000);
  return () => {
    clearInterval(timer);
    model.off("change:data", draw);
    model.off("change:problem", draw);
  };
}

export default { render };
