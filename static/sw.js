// The app's service worker. Served by the app at /sw.js (not /static/) with
// Service-Worker-Allowed: / so its scope is the whole site.
//
// Sections:
//   --- lifecycle ---  install and activate
//   --- push ---       show reminders; open the app or check items off from a notification
// Offline caching is to come as its own section; keep each section self-contained.
"use strict";

// --- lifecycle ---

// A new version takes over at once: nothing here depends on the page's version.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// --- push ---
//
// The server sends JSON (tracker/reminders/push.py, build_payload):
//   {"title": "Time for your stretches",
//    "body": "Piriformis stretch, Knee-to-chest stretch and 2 more",
//    "url": "/today",                                   opened on a tap
//    "tag": "selfcare-1-2026-05-04",                   optional: replaces an older one
//    "actions": [{"action": "done", "title": "Done all"}],   optional
//    "done_url": "/push/done/<signed token>"}          POSTed by the "done" action
// done_url carries its own signed, expiring token: no cookie or CSRF token is needed.

const HOME_URL = new URL("/today", self.location.origin).href;

function readPayload(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch (e) {
    return { body: event.data.text() };
  }
}

// Only this site's pages are opened or posted to, whatever a payload says: the absolute
// URL, or null.
function sameOrigin(url) {
  if (!url) return null;
  try {
    const resolved = new URL(url, self.location.origin);
    return resolved.origin === self.location.origin ? resolved.href : null;
  } catch (e) {
    return null;
  }
}

// Buttons only where the browser shows them (not Safari, for one).
function supportsActions() {
  return typeof Notification !== "undefined" && "maxActions" in Notification;
}

self.addEventListener("push", (event) => {
  const data = readPayload(event);
  const options = {
    body: data.body || "",
    data: { url: sameOrigin(data.url) || HOME_URL, doneUrl: sameOrigin(data.done_url) },
  };
  if (data.tag) options.tag = data.tag;
  if (supportsActions() && options.data.doneUrl && Array.isArray(data.actions)) {
    options.actions = data.actions.slice(0, Notification.maxActions);
  }
  // Every push must show a notification (userVisibleOnly), so always show one.
  event.waitUntil(self.registration.showNotification(data.title || "Sciatica care plan", options));
});

// Focus a window already showing the app and take it to `url`, or open a new one.
async function openApp(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const exact = windows.find((client) => client.url === url);
  if (exact) return exact.focus();
  const any = windows.find((client) => "navigate" in client);
  if (any) {
    try {
      const navigated = await any.navigate(url);
      if (navigated) return navigated.focus();
    } catch (e) {
      // Uncontrolled windows can't be navigated: open a new one below.
    }
  }
  return self.clients.openWindow(url);
}

// "Done" from the notification: check the items off without opening the app. If that
// fails (offline, token expired) open today's page so they can be checked off there.
async function markDone(doneUrl, url) {
  try {
    const response = await fetch(doneUrl, { method: "POST", credentials: "omit" });
    if (response.ok) return undefined;
  } catch (e) {
    // fall through
  }
  return openApp(url);
}

self.addEventListener("notificationclick", (event) => {
  const { url = HOME_URL, doneUrl = null } = event.notification.data || {};
  event.notification.close();
  if (event.action === "done" && doneUrl) {
    event.waitUntil(markDone(doneUrl, url));
  } else {
    event.waitUntil(openApp(url));
  }
});
