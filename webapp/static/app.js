// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Progress bar width (inline styles are blocked by our Content-Security-Policy).
  document.querySelectorAll(".progress .fill").forEach((el) => {
    el.style.width = (el.dataset.progress || 0) + "%";
  });

  // A second click on a submit button while the first request runs is ignored.
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || !button.hasAttribute("data-once")) return;
      if (form.dataset.sending === "1") { event.preventDefault(); return; }
      form.dataset.sending = "1";
      button.classList.add("is-busy");
    });
  });

  // Interface messages in the page's language (base.html writes them as JSON); English if absent.
  const MESSAGES = (() => {
    const node = document.getElementById("js-messages");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  })();
  const t = (key, english) => MESSAGES[key] || english;

  // Copy buttons (the completion code).
  document.querySelectorAll("[data-copy]").forEach((button) => {
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(source.textContent.trim()).then(() => { button.textContent = t("copied", "Copied"); });
    });
  });

  focusFirstError();
  pollWhileWaiting();

  // After a rejected submit, focus goes to the first field marked invalid (its error is tied to it by
  // aria-describedby), else to the error summary, so keyboard and screen-reader users land on the problem.
  function focusFirstError() {
    const field = document.querySelector('[aria-invalid="true"]');
    const target = field || document.querySelector(".form-error:not(.js-error):not([hidden])");
    if (!target) return;
    if (!field) target.tabIndex = -1;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }

  // The waiting page asks a small status URL every few seconds (no meta refresh) and moves on when the
  // suggestions are ready; its "Check again" button does the same by hand, and without JavaScript.
  function pollWhileWaiting() {
    const box = document.getElementById("waiting");
    if (!box || !box.dataset.statusUrl || !window.fetch) return;
    const ask = async () => {
      try {
        const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } });
        const data = await response.json();
        if (data.ready && data.url) { window.location.assign(data.url); return; }
      } catch (e) { /* a failed check: try again later; the button still works */ }
      setTimeout(ask, 3000);
    };
    setTimeout(ask, 3000);
  }

  // Adopt and Reject are toggle buttons: aria-pressed says which one holds, and a polite live region
  // announces the decision (the badge alone changes silently).
  function reportDecision(card, decision) {
    card.querySelectorAll("form.js-decision").forEach((decisionForm) => {
      const button = decisionForm.querySelector("button");
      const value = decisionForm.querySelector('input[name="decision"]').value;
      if (button) button.setAttribute("aria-pressed", String(decision === (value === "adopt" ? "adopted" : "rejected")));
    });
    const live = document.getElementById("decision-status");
    if (!live) return;
    live.textContent = "";  // the same word twice in a row is announced again
    setTimeout(() => { live.textContent = decision === "adopted" ? t("adopted", "Adopted") : t("rejected", "Rejected"); }, 60);
  }

  // A live error beside a field ties itself to the field's input, as the server-rendered ones do.
  function tieError(fieldset, slot, on) {
    const input = fieldset && fieldset.querySelector('input[type="text"]');
    if (!input || !slot) return;
    slot.id = slot.id || fieldset.id + "-error";
    const others = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== slot.id);
    if (on) others.push(slot.id);
    input.setAttribute("aria-describedby", others.join(" "));
    if (on) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  const form = document.getElementById("design-form");
  if (!form) return;
  document.body.classList.add("js");
  const preview = document.getElementById("preview");
  const status = document.getElementById("preview-status");
  const errorBox = form.querySelector(".js-error");
  const changeUrl = form.dataset.changeUrl;
  let serverDesign = currentChoices();

  function currentChoices() {
    const data = {};
    form.querySelectorAll('input[type="radio"]:checked').forEach((input) => { data[input.name] = input.value; });
    return data;
  }

  function showError(message, field) {
    form.querySelectorAll("[data-field-error]").forEach((el) => { el.hidden = true; el.textContent = ""; tieError(el.closest("fieldset"), el, false); });
    form.querySelectorAll("fieldset.has-error").forEach((el) => el.classList.remove("has-error"));
    const fieldset = field && document.getElementById("attr-" + field);
    const slot = fieldset && fieldset.querySelector("[data-field-error]");
    if (message && slot) {
      slot.textContent = message;
      slot.hidden = false;
      fieldset.classList.add("has-error");
      tieError(fieldset, slot, true);
      errorBox.hidden = true;
      return;
    }
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function applyDesign(design) {
    Object.entries(design).forEach(([attribute, level]) => {
      const input = form.querySelector(`input[name="${attribute}"][value="${level}"]`);
      if (input) input.checked = true;
    });
    serverDesign = Object.assign({}, serverDesign, design);
    document.querySelectorAll(".suggestion").forEach((card) => {
      card.classList.toggle("applied", serverDesign[card.dataset.attribute] === card.dataset.level);
    });
  }

  function showPreview(url) {
    status.textContent = t("updating", "Updating preview…");
    const img = new Image();
    img.onload = () => { preview.src = url; status.textContent = t("up_to_date", "Preview up to date."); };
    img.onerror = () => { status.textContent = t("preview_failed", "The preview could not be loaded; your choice is saved."); };
    img.src = url;
  }

  async function post(url, fields) {
    const body = new FormData();
    body.append("csrf_token", csrf);
    Object.entries(fields).forEach(([k, v]) => body.append(k, v));
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an HTML error page */ }
    if (response.status === 409 && data.redirect) { window.location.assign(data.redirect); return null; }
    if (!response.ok) {
      const failure = new Error(data.message || data.error || t("not_saved", "Your change could not be saved. Please reload the page."));
      failure.field = data.field;
      throw failure;
    }
    return data;
  }

  async function change(attribute, level) {
    try {
      const data = await post(changeUrl, { attribute, level });
      if (!data) return;
      showError("");
      applyDesign(data.design);
      showPreview(data.preview_url);
    } catch (error) {
      showError(error.message, error.field);
      status.textContent = t("correct_choice", "Not saved: please correct the highlighted choice.");
      if (attribute !== "monogram") applyDesign(serverDesign);  // keep typed text so it can be fixed
    }
  }

  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input.type === "radio") change(input.name, input.value);
  });

  const monogram = form.querySelector('input[name="monogram"]');
  if (monogram) {
    let timer = null;
    monogram.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => change("monogram", monogram.value), 400);
    });
    monogram.addEventListener("change", (event) => { event.stopPropagation(); });
  }

  document.querySelectorAll("form.js-decision").forEach((decisionForm) => {
    decisionForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const card = decisionForm.closest(".suggestion");
      const decision = decisionForm.querySelector('input[name="decision"]').value;
      try {
        const data = await post(decisionForm.action, { decision });
        if (!data) return;
        showError("");
        applyDesign(data.design);
        showPreview(data.preview_url);
        const badge = card.querySelector("[data-badge]");
        badge.textContent = data.decision === "adopted" ? t("adopted", "Adopted") : t("rejected", "Rejected");
        badge.className = "badge " + data.decision;
        reportDecision(card, data.decision);
      } catch (error) {
        showError(error.message);
      }
    });
  });
  applyDesign(serverDesign);
})();
