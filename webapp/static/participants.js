// The studio's participants page: polls its JSON (same filters) every 5 s and updates each row in place.
// New or vanished rows, or a changed status (which changes the actions a row offers), are announced
// with the refresh link instead of rebuilding the forms. Without JavaScript the link reloads the page.
(function () {
  "use strict";
  const table = document.getElementById("participants-live");
  const status = document.getElementById("live-status");
  if (!table || !status || !window.fetch) return;
  const url = table.dataset.url;
  const EVERY_MS = 5000;

  function duration(seconds) {
    if (seconds == null) return "–";
    const total = Math.round(seconds);
    return Math.floor(total / 60) + " min " + String(total % 60).padStart(2, "0") + " s";
  }

  function setText(row, field, text) {
    const cell = row.querySelector('[data-field="' + field + '"]');
    if (cell) cell.textContent = text;
  }

  function update(data) {
    const shown = new Map();
    table.querySelectorAll("tbody tr[data-participant]").forEach((row) => shown.set(row.dataset.participant, row));
    let added = 0, changed = 0;
    (data.rows || []).forEach((item) => {
      const row = shown.get(item.participant);
      if (!row) { added += 1; return; }
      shown.delete(item.participant);
      const before = row.querySelector('[data-field="status"] .status');
      if (before && before.textContent !== item.status) {
        changed += 1;
        before.textContent = item.status;
        before.className = "status status-" + item.status;
      }
      setText(row, "step", item.step);
      setText(row, "seconds_on_step", duration(item.seconds_on_step));
      setText(row, "deadline", item.deadline + (item.overdue ? " past" : "") +
        (item.time_extended ? " (asked for more time)" : ""));
      setText(row, "outcome", item.outcome || "–");
    });
    const gone = shown.size;
    const parts = [];
    if (added) parts.push(added + " new");
    if (changed) parts.push(changed + " changed status");
    if (gone) parts.push(gone + " no longer match");
    const stamp = (data.generated_at || "").replace("T", " ").replace("Z", " UTC");
    status.textContent = "Live, updated " + stamp + (parts.length ? " · " + parts.join(", ") +
      ": refresh for their rows and actions" : "");
    status.classList.toggle("stale", parts.length > 0);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        const json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (response.status === 401 || response.redirected || !json) {
          status.textContent = "Not updating: your session has ended. Refresh to log in again.";
          throw new Error("logged out");
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((data) => { update(data); window.setTimeout(poll, EVERY_MS); })
      .catch((error) => {
        if (error.message !== "logged out") window.setTimeout(poll, EVERY_MS * 2);
      });
  }
  window.setTimeout(poll, EVERY_MS);
})();
