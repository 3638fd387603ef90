// Offline on the page: register the service worker, show whether we are online, queue
// changes made offline in the outbox (static/js/outbox.js) and show them as done at once,
// replay them when the connection returns, and offer to install the app.
// Every page works without this file: forms then post as usual.
"use strict";

(function () {
  const body = document.body;
  const user = body.dataset.user;
  const Outbox = window.Outbox;
  const canQueue = Boolean(user && Outbox && window.indexedDB);
  // Forms posted without htmx that queue offline, by their data-offline kind.
  const PLAIN_FORMS = ["checkin", "questionnaire"];

  // --- the service worker ---

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-replayed") showOutcome(event.data.outcome);
    });
  }

  // The pages this one links to with data-keep-offline (the "How to" pages of the items on
  // /today, with their figures): the service worker stores them for offline use. Only once
  // a worker controls the page (from the second visit), after it has loaded and when the
  // browser is idle, so a first visit downloads no more than the page itself.
  function keepLinkedPages() {
    const paths = Array.from(document.querySelectorAll("a[data-keep-offline]"), (a) => a.pathname);
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!paths.length || !navigator.onLine || !worker) return;
    worker.postMessage({ type: "keep-pages", paths: [...new Set(paths)] });
  }
  if (body.dataset.sw && user && "serviceWorker" in navigator) {
    window.addEventListener("load", () => {
      (window.requestIdleCallback || ((f) => setTimeout(f, 1000)))(keepLinkedPages);
    });
  }

  // --- the connection banner ---

  const banner = document.getElementById("connection");

  function say(text, tone) {
    if (!banner) return;
    banner.textContent = text;
    banner.dataset.tone = tone || "";
    banner.hidden = !text;
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  async function refreshBanner() {
    const waiting = canQueue ? (await Outbox.pending(user)).length : 0;
    if (!navigator.onLine) {
      say("You're offline. What you check off is kept on this phone and sent when you're " +
        `back online.${waiting ? ` ${plural(waiting, "change", "changes")} waiting.` : ""}`,
      "offline");
    } else if (waiting) {
      say(`Sending ${plural(waiting, "change", "changes")} made offline…`, "syncing");
    } else if (banner && banner.dataset.tone !== "notice") {
      say("");
    }
  }

  // --- showing queued changes on the page ---

  function note(item, text) {
    let p = item.querySelector(".sync-note");
    if (!p) {
      p = document.createElement("p");
      p.className = "sync-note";
      item.querySelector("form").after(p);
    }
    p.textContent = text;
  }

  // `form` is the item's check button or its "Undo skip" (both post the wanted state).
  // The stylesheet hides what a done item no longer offers (Start timer, Skip) by class.
  function showCheck(form, done) {
    const item = form.closest(".item");
    const check = item && item.querySelector("form.check");
    const button = check && check.querySelector("button[aria-pressed]");
    const wanted = check && check.querySelector("input[name=done]");
    if (!item || !button || !wanted) return;
    button.setAttribute("aria-pressed", done ? "true" : "false");
    wanted.value = done ? "0" : "1";
    item.classList.remove("item-due", "item-done", "item-skipped");
    item.classList.add(done ? "item-done" : "item-due");
    note(item, done ? "Done. Saved on this phone; it will be sent when you're online."
      : "Not done. Saved on this phone; it will be sent when you're online.");
  }

  function showSkip(form) {
    const item = form.closest(".item");
    if (!item) return;
    const details = form.closest("details");
    if (details) details.open = false;  // the stylesheet hides Skip on a skipped item
    item.classList.remove("item-due", "item-done");
    item.classList.add("item-skipped");
    note(item, "Skipped. Saved on this phone; it will be sent when you're online.");
  }

  // The day's count, as tracker/domain/day.py counts it: done of (due minus skipped).
  function recount() {
    const box = document.getElementById("day-progress");
    if (!box) return;
    const items = [...document.querySelectorAll(".items > .item")];
    const counted = items.filter((i) => !i.classList.contains("item-skipped")).length;
    const done = items.filter((i) => i.classList.contains("item-done")).length;
    const figure = box.querySelector("strong");
    if (figure) figure.textContent = `${done} of ${counted}`;
    const bar = box.querySelector("progress");
    if (bar) {
      bar.max = Math.max(counted, 1);
      bar.value = done;
    }
  }

  function show(form, change) {
    const fields = new URLSearchParams(change.fields);
    if (change.kind === "check") showCheck(form, fields.get("done") === "1");
    if (change.kind === "skip") showSkip(form);
    recount();
  }

  function formFor(change) {
    return [...document.querySelectorAll("form[data-offline]")].find(
      (f) => f.dataset.offline === change.kind && new URL(f.action).pathname === change.url,
    );
  }

  // A page opened from the stored copy doesn't know about queued changes: show them.
  async function showQueued() {
    for (const change of await Outbox.pending(user)) {
      const form = formFor(change);
      if (form) show(form, change);
    }
  }

  // --- queueing ---

  // The button pressed counts too: "Save answers" and "Save for later" post the same form.
  function fieldsOf(form, submitter) {
    const fields = [...new FormData(form)].filter(
      ([name, value]) => name !== "csrf_token" && name !== "op_id" && typeof value === "string",
    );
    if (submitter && submitter.name) fields.push([submitter.name, submitter.value]);
    return fields;
  }

  function localDate() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  async function queue(form, key, submitter) {
    const change = {
      key: key || Outbox.newKey(),
      user,
      url: new URL(form.action).pathname,
      fields: fieldsOf(form, submitter),
      kind: form.dataset.offline,
      label: form.dataset.label || "",
    };
    if (PLAIN_FORMS.includes(change.kind) && !change.fields.some(([name]) => name === "day")) {
      // a missed day filled in keeps its own; questionnaire answers are refused on a later
      // day (the server says so), never saved as that day's
      change.fields.push(["day", localDate()]);
    }
    await Outbox.add(change);
    show(form, change);
    askForSync();
    refreshBanner();
    return change;
  }

  async function askForSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("outbox");
    } catch (e) {
      // no Background Sync here: the `online` event and the next page load replay instead
    }
  }

  function offlineForm(elt) {
    return elt && elt.closest ? elt.closest("form[data-offline]") : null;
  }

  if (canQueue) {
    // Every queueable htmx post carries a key, so a send that fails after reaching the
    // server is queued under the same key and is not applied twice.
    body.addEventListener("htmx:configRequest", (event) => {
      const form = offlineForm(event.detail.elt);
      if (!form) return;
      const key = Outbox.newKey();
      event.detail.parameters.op_id = key;
      form.dataset.opKey = key;
    });
    body.addEventListener("htmx:beforeRequest", (event) => {
      const form = offlineForm(event.detail.elt);
      if (!form || navigator.onLine) return;
      event.preventDefault();
      queue(form, form.dataset.opKey);
    });
    body.addEventListener("htmx:sendError", (event) => {
      const form = offlineForm(event.detail.elt);
      if (form) queue(form, form.dataset.opKey);
    });
    // Plain forms (the check-in, a questionnaire's answers) queue when submitted offline.
    body.addEventListener("submit", (event) => {
      const form = event.target;
      if (navigator.onLine || !PLAIN_FORMS.includes(form.dataset.offline)) return;
      event.preventDefault();
      queue(form, null, event.submitter).then(() => {
        const saved = document.getElementById(`${form.dataset.offline}-saved-offline`);
        if (saved) {
          saved.hidden = false;
          form.hidden = true;
          saved.focus();
        }
      });
    }, true);
  }

  // --- replaying ---

  function showOutcome(outcome) {
    if (!outcome) return;  // nothing was waiting
    if (outcome.sent) {
      document.querySelectorAll(".sync-note").forEach((p) => p.remove());
    }
    const problems = [];
    if (outcome.dropped.length) {
      const names = outcome.dropped.map((d) => d.label).filter(Boolean).join(", ");
      problems.push(`${plural(outcome.dropped.length, "change", "changes")} made offline ` +
        `could not be saved${names ? ` (${names})` : ""}: the day may be too long ago or ` +
        "the plan has changed.");
    }
    if (outcome.attention.length) {
      problems.push("Your check-in was sent. Please open Check in and answer the safety questions.");
    }
    if (outcome.stopped === "login") {
      problems.push("Log in again to send the changes made offline.");
    }
    if (problems.length) say(problems.join(" "), "notice");
    refreshBanner();
  }

  let replaying = null;
  function replay() {
    if (!canQueue || !navigator.onLine) return Promise.resolve(null);
    if (!replaying) {
      replaying = Outbox.pending(user)
        .then((waiting) => (waiting.length ? Outbox.replay() : null))
        .then((outcome) => { showOutcome(outcome); return outcome; })
        .catch(() => null)
        .finally(() => { replaying = null; });
    }
    return replaying;
  }

  window.addEventListener("online", () => { refreshBanner(); replay(); });
  window.addEventListener("offline", refreshBanner);

  // --- logging out ---
  // Stored pages hold this person's plan and diary: forget them when they log out.

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form.logout") || form.dataset.forgotten) return;
    event.preventDefault();
    const waiting = canQueue ? (await Outbox.pending(user)).length : 0;
    if (waiting && !window.confirm(
      `${plural(waiting, "change", "changes")} made offline haven't been sent yet. They ` +
      "will be sent the next time you log in on this phone. Log out anyway?")) return;
    try {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith("pages-")).map((n) => caches.delete(n)));
    } catch (e) {
      // no Cache Storage: nothing stored
    }
    form.dataset.forgotten = "1";
    form.submit();
  });

  // --- installing ---

  const install = document.getElementById("install-app");
  let deferredPrompt = null;

  function isAppleMobile() {
    return /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function installed() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone;
  }

  if (install && !installed() && localStorage.getItem("install-dismissed") !== "1") {
    window.addEventListener("beforeinstallprompt", (event) => {
      event.preventDefault();
      deferredPrompt = event;
      install.hidden = false;
      install.querySelector("[data-install]").hidden = false;
    });
    if (isAppleMobile()) {
      install.hidden = false;
      install.querySelector("[data-install-ios]").hidden = false;
    }
    install.querySelector("[data-install]").addEventListener("click", async () => {
      if (!deferredPrompt) return;
      deferredPrompt.prompt();
      await deferredPrompt.userChoice;
      deferredPrompt = null;
      install.hidden = true;
    });
    install.querySelector("[data-install-dismiss]").addEventListener("click", () => {
      localStorage.setItem("install-dismissed", "1");
      install.hidden = true;
    });
    window.addEventListener("appinstalled", () => { install.hidden = true; });
  }

  // --- on load ---

  if (canQueue) {
    showQueued().then(refreshBanner).then(replay);
  } else {
    refreshBanner();
  }
})();
