// The studio's monitor page: polls its JSON every 10 s and updates the numbers in place.
// Without JavaScript, a "reload" link stands in (no meta refresh: WCAG 2.2.1 / 2.2.4).
(function () {
  "use strict";
  const root = document.getElementById("monitor");
  if (!root || !window.fetch) return;
  const url = root.dataset.url;
  const steps = root.dataset.steps || "";

  function lookup(data, path) {
    // Cell keys contain "/", never "."; so a dotted path is unambiguous.
    return path.split(".").reduce((value, part) => (value == null ? undefined : value[part]), data);
  }

  function show(el, value) {
    const format = el.dataset.format;
    if (value == null) { el.textContent = "–"; return; }
    if (format === "duration") {
      const total = Math.round(value);
      el.textContent = Math.floor(total / 60) + " min " + String(total % 60).padStart(2, "0") + " s";
    }
    else if (format === "share") el.textContent = Number(value).toFixed(2);
    else el.textContent = String(value);
  }

  function update(data) {
    if (Object.keys(data.dropout_by_step || {}).join(",") !== steps) { window.location.reload(); return; }
    document.querySelectorAll("[data-key]").forEach((el) => show(el, lookup(data, el.dataset.key)));
    (data.chart || []).forEach((bar) => {
      document.querySelectorAll("[data-bar]").forEach((rect) => {
        if (rect.dataset.bar === bar.key) rect.setAttribute("width", bar.width);
      });
      document.querySelectorAll("[data-bar-label]").forEach((text) => {
        if (text.dataset.barLabel === bar.key) text.textContent = bar.label;
      });
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (response.status === 401) { window.location.reload(); throw new Error("logged out"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(update)
      .catch(() => {})
      .finally(() => { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 10000);
})();
