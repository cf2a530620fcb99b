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

  // The time limit (WCAG 2.2.1; participant/_time_limit.html): a warning before it runs out, focusable and
  // announced, with one request for more time sent without leaving the page (the form works without us).
  (function timeLimit() {
    const box = document.getElementById("time-limit");
    const warning = document.getElementById("time-warning");
    if (!box || !warning) return;
    try {
      Object.assign(MESSAGES, JSON.parse(document.getElementById("js-time-messages").textContent));
    } catch (e) { /* English fallbacks */ }
    const message = warning.querySelector("[data-time-message]");  // announced (role="alert"), not shown
    const shownStatus = warning.querySelector("[data-time-status]");  // the same news, shown
    const clock = warning.querySelector("[data-time-clock]");
    const extendForm = warning.querySelector("form[data-time-extend]");
    let warnAt = Number(box.dataset.warnAt) || 0;
    let deadline = performance.now() + (Number(box.dataset.secondsLeft) || 0) * 1000;  // the server's count
    let shown = !warning.hidden;
    let timer = null;
    const secondsLeft = () => Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
    const clockText = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

    function say(text, visible = true) {
      message.textContent = "";  // emptied first, so the alert is announced again
      setTimeout(() => { message.textContent = text; }, 60);
      shownStatus.textContent = visible ? text : "";
      shownStatus.hidden = !visible;
    }

    function show() {
      shown = true;
      warning.hidden = false;
      say(t("time_left", "Time left in this study: {time}.").replace("{time}", clockText(secondsLeft())), false);
      const active = document.activeElement;
      if (!active || active === document.body) warning.focus();  // never taken from a field in use
    }

    function tick() {
      const left = secondsLeft();
      if (!shown && left <= warnAt) show();
      if (clock) clock.textContent = clockText(left);
      if (left === 0) {
        clearInterval(timer);
        if (extendForm) extendForm.hidden = true;
        say(t("time_up", "The time for this study is up."));
      }
    }

    if (extendForm) {
      extendForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = extendForm.querySelector("button");
        button.disabled = true;
        let response = null, data = {};
        try {
          response = await fetch(extendForm.action, {
            method: "POST", body: new FormData(extendForm), credentials: "same-origin",
            headers: { "Accept": "application/json", "X-CSRFToken": csrf },
          });
          data = await response.json();
        } catch (e) { /* reported below */ }
        if (response && response.status === 409 && data.redirect) { window.location.assign(data.redirect); return; }
        if (!response || !(response.ok || response.status === 409)) {
          button.disabled = false;
          say(t("time_failed", "Your request for more time could not be sent. Please try again."));
          return;
        }
        if (response.ok) {
          deadline = performance.now() + data.seconds_left * 1000;
          warnAt = data.warn_at;
        }
        extendForm.remove();
        warning.focus();  // the button is gone: focus stays with the message
        say(response.ok ? t("time_extended", "You have more time now.") : data.message);
        setTimeout(() => { if (secondsLeft() > warnAt) { shown = false; warning.hidden = true; tick(); } }, 15000);
      });
    }
    timer = setInterval(tick, 1000);
    tick();
  })();
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
      if (settling.has(attribute)) return;  // a keyboard choice not saved yet stays as the participant left it
      const input = form.querySelector(`input[name="${attribute}"][value="${level}"]`);
      if (input) input.checked = true;
    });
    serverDesign = Object.assign({}, serverDesign, design);
    document.querySelectorAll(".suggestion").forEach((card) => {
      card.classList.toggle("applied", serverDesign[card.dataset.attribute] === card.dataset.level);
    });
  }

  let previewRequest = 0;  // only the newest picture asked for is shown (arrow keys ask in quick succession)
  function showPreview(url) {
    const request = ++previewRequest;
    status.textContent = t("updating", "Updating preview…");
    const img = new Image();
    img.onload = () => {
      if (request !== previewRequest) return;
      preview.src = url;
      status.textContent = t("up_to_date", "Preview up to date.");
    };
    img.onerror = () => {
      if (request !== previewRequest) return;
      status.textContent = t("preview_failed", "The preview could not be loaded; your choice is saved.");
    };
    img.src = url;
  }

  // Posts go one at a time, in the order made, so each answer's design includes the changes before it;
  // anything else (Adopt, Reject) first saves the keyboard choices still waiting to settle.
  let queue = Promise.resolve();
  let inFlight = 0;  // posts sent or waiting their turn; a submit waits for them
  async function post(url, fields) {
    if (url !== changeUrl) await settleAll();
    inFlight += 1;
    const turn = queue.then(() => send(url, fields)).finally(() => { inFlight -= 1; });
    queue = turn.catch(() => {});
    return turn;
  }

  async function send(url, fields) {
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

  // Keyboard users leave the same data as mouse users (issue 10, item 6). The arrow keys move the checked
  // radio through every option on the way, where a mouse user clicks only the option wanted. So a change
  // made by an arrow key is shown at once, through the read-only draft picture (participant.draft_preview
  // records nothing), and saved as one design change when the participant settles: SETTLE_MS after the
  // last arrow key, on leaving the group, before a submit or another request, or on leaving the page
  // (sendBeacon). Clicks, Space and touches are saved at once, as before.
  const SETTLE_MS = Number(form.dataset.settleMs) || 700;  // KEYBOARD_SETTLE_MS
  const draftUrl = form.dataset.draftUrl;
  const settling = new Map();  // attribute -> timer of a keyboard choice not saved yet
  let arrowKey = false;  // the change event of an arrow key fires while its keydown is handled

  form.addEventListener("keydown", (event) => {
    if (event.target.type !== "radio" || !event.key.startsWith("Arrow")) return;
    arrowKey = true;
    setTimeout(() => { arrowKey = false; }, 0);
  });

  function checkedLevel(attribute) {
    const input = form.querySelector(`input[type="radio"][name="${attribute}"]:checked`);
    return input ? input.value : null;
  }

  function settle(attribute) {
    if (!settling.has(attribute)) return Promise.resolve();
    clearTimeout(settling.get(attribute));
    settling.delete(attribute);
    const level = checkedLevel(attribute);
    return level === null ? Promise.resolve() : change(attribute, level);
  }

  function settleAll() {
    return Promise.all([...settling.keys()].map(settle));
  }

  function settleByBeacon() {  // the page is going away: a fetch might not finish
    settling.forEach((timer, attribute) => {
      clearTimeout(timer);
      const level = checkedLevel(attribute);
      if (level === null || !navigator.sendBeacon) return;
      const body = new FormData();
      body.append("csrf_token", csrf);
      body.append("attribute", attribute);
      body.append("level", level);
      navigator.sendBeacon(changeUrl, body);
    });
    settling.clear();
  }

  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input.type !== "radio") return;
    if (arrowKey && draftUrl) {
      clearTimeout(settling.get(input.name));
      settling.set(input.name, setTimeout(() => settle(input.name), SETTLE_MS));
      showPreview(draftUrl + "?" + new URLSearchParams(currentChoices()));
      return;
    }
    clearTimeout(settling.get(input.name));  // a click after arrow keys: this one change is saved now
    settling.delete(input.name);
    change(input.name, input.value);
  });

  form.addEventListener("focusout", (event) => {
    const input = event.target;
    if (input.type !== "radio") return;
    const group = input.closest("fieldset");
    if (group && event.relatedTarget && group.contains(event.relatedTarget)) return;
    settle(input.name);
  });

  form.addEventListener("submit", (event) => {
    if ((!settling.size && !inFlight) || event.defaultPrevented) return;
    // save the waiting keyboard choices (and let changes on their way arrive) first, as "live" changes
    // like a click's, so the submit never overtakes them
    event.preventDefault();
    const submitter = event.submitter;
    settleAll().then(() => queue).finally(() => {
      if (submitter && submitter.name) {
        const carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        form.appendChild(carried);
      }
      HTMLFormElement.prototype.submit.call(form);  // form.submit is the button named "submit"
    });
  });

  window.addEventListener("pagehide", settleByBeacon);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") settleByBeacon();
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
