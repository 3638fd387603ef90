// Notifications on this device: progressive enhancement of templates/push/_devices.html.
// Without this file (or without web push) the list still works; only the button stays
// hidden. No inline scripts or styles: everything hangs off data-* attributes.
"use strict";

(function () {
  const ROOT = "#push-devices";

  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // iOS and iPadOS offer web push only to a web app opened from the Home Screen.
  function isAppleMobile() {
    return /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  // applicationServerKey wants bytes; the page gives URL-safe base64 without padding.
  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    const a = new Uint8Array(buffer);
    return a.length === bytes.length && a.every((v, i) => v === bytes[i]);
  }

  function say(root, text) {
    const status = root.querySelector("[data-push-status]");
    if (status) status.textContent = text;
  }

  async function subscription(root) {
    const registration = await navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/" });
    await navigator.serviceWorker.ready;
    const key = keyBytes(root.dataset.vapidKey);
    let sub = await registration.pushManager.getSubscription();
    // A subscription made with an older server key can't be used: replace it.
    const current = sub && sub.options && sub.options.applicationServerKey;
    if (current && !sameKey(current, key)) {
      await sub.unsubscribe();
      sub = null;
    }
    return sub || registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }

  // Swap in the server's updated list; htmx.swap also wires up its hx-* attributes.
  function replace(root, html) {
    if (window.htmx) {
      window.htmx.swap(root, html, { swapStyle: "outerHTML" });
    } else {
      root.outerHTML = html;
      setUpWithin(document.body);
    }
  }

  function send(root, sub) {
    return fetch(root.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
        "HX-Request": "true", // answer with the updated list, as for an htmx swap
      },
      body: JSON.stringify(sub.toJSON()),
    });
  }

  async function turnOn(root, button) {
    button.disabled = true;
    say(root, "");
    try {
      // Asked first, straight from the tap: Safari refuses a prompt after other awaits.
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say(root, "Notifications are blocked for this site. Allow them in your browser's " +
          "site settings, then try again.");
        return;
      }
      let sub = await subscription(root);
      let response = await send(root, sub);
      if (response.status === 409) {
        // The endpoint is another account's and the server doesn't take our word for it:
        // a fresh subscription (a new endpoint) is this browser's own.
        await sub.unsubscribe();
        sub = await subscription(root);
        response = await send(root, sub);
      }
      if (!response.ok) {
        let message = "Sorry, that didn't work. Please reload the page and try again.";
        try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
        say(root, message);
        return;
      }
      replace(root, await response.text());
    } catch (error) {
      say(root, "Sorry, notifications couldn't be turned on here (" + error.message + ").");
    } finally {
      button.disabled = false;
    }
  }

  // Mark this device in the list, and when it is removed stop its browser subscription too.
  async function markThisDevice(root) {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const sub = registration && await registration.pushManager.getSubscription();
    if (!sub) return;
    root.querySelectorAll("[data-endpoint]").forEach((row) => {
      if (row.dataset.endpoint !== sub.endpoint) return;
      const badge = row.querySelector("[data-this-device]");
      if (badge) badge.hidden = false;
      const form = row.querySelector("form");
      if (form) form.addEventListener("submit", () => { sub.unsubscribe(); });
    });
  }

  function setUp(root) {
    if (root.dataset.pushReady) return;
    root.dataset.pushReady = "1";
    if (!pushSupported()) {
      const hint = root.querySelector(isAppleMobile() ? "[data-push-ios]" : "[data-push-unsupported]");
      if (hint) hint.hidden = false;
      return;
    }
    const enable = root.querySelector("[data-push-enable]");
    const button = root.querySelector("[data-push-subscribe]");
    if (!enable || !button) return;
    enable.hidden = false;
    button.addEventListener("click", () => turnOn(root, button));
    markThisDevice(root).catch(() => { /* only a label */ });
  }

  function setUpWithin(element) {
    const root = element.matches && element.matches(ROOT) ? element : element.querySelector(ROOT);
    if (root) setUp(root);
  }

  document.addEventListener("DOMContentLoaded", () => setUpWithin(document.body));
  // After htmx swaps the list in again (Remove, or the swap above).
  document.addEventListener("htmx:load", (event) => setUpWithin(event.detail.elt));
})();
