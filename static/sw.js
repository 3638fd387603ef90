// The app's service worker. Served by the app at /sw.js (not /static/) with
// Service-Worker-Allowed: / so its scope is the whole site. The server fills in the
// placeholders (tracker/web/offline/routes.py): this deployment's version, the files to store
// when installing, and the outbox script's URL.
//
// Sections:
//   --- lifecycle ---  install (store the app shell) and activate (drop old versions)
//   --- offline ---    pages network-first with a stored copy for offline; static cache-first
//   --- outbox ---     replay changes made offline (Background Sync)
//   --- push ---       show reminders; open the app or check items off from a notification
// Keep each section self-contained.
"use strict";

const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
const OUTBOX_URL = "__OUTBOX_URL__";

// --- lifecycle ---
//
// Caches are named by version: a new deployment (any change to the worker, the outbox or a
// stored file's content, whose URLs carry a content hash) installs a new worker, which
// stores the new shell, takes over at once and deletes every older cache. Pages are
// fetched network-first, so an online user always gets the current page.

const STATIC_CACHE = `static-${VERSION}`;
const PAGES_CACHE = `pages-${VERSION}`;
const OFFLINE_PAGE = PRECACHE[PRECACHE.length - 1];
// Pages kept for offline use, by path prefix: the day's plan, the plan, the check-in,
// progress and the how-to instructions.
const OFFLINE_PAGES = ["/today", "/plan", "/checkin", "/progress", "/library/",
  "/questionnaires"];
// Stored again when a new version takes over, so they work offline straight away.
const WARM_PAGES = ["/today", "/plan", "/checkin"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((n) => n !== STATIC_CACHE && n !== PAGES_CACHE).map((n) => caches.delete(n)),
  );
}

async function warmPages() {
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(WARM_PAGES.map(async (path) => {
    try {
      const response = await fetch(path, { credentials: "same-origin" });
      if (storable(response)) await cache.put(path, response);
    } catch (e) {
      // offline or logged out: the pages are stored when next opened
    }
  }));
}

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()).then(warmPages));
});

// --- offline ---

function storable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function keptOffline(url) {
  return OFFLINE_PAGES.some((p) => url.pathname === p || url.pathname.startsWith(p));
}

async function networkFirst(request) {
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await fetch(request);
    if (storable(response)) await cache.put(request.url, response.clone());
    return response;
  } catch (e) {
    const stored = await cache.match(request.url, { ignoreVary: true });
    if (stored) return stored;
    return (await caches.match(OFFLINE_PAGE)) || Response.error();
  }
}

async function cacheFirst(request) {
  const stored = await caches.match(request, { ignoreVary: true });
  if (stored) return stored;
  const response = await fetch(request);
  if (storable(response)) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkOrOfflinePage(request) {
  try {
    return await fetch(request);
  } catch (e) {
    return (await caches.match(OFFLINE_PAGE)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(keptOffline(url) ? networkFirst(request) : networkOrOfflinePage(request));
  }
  // Everything else (htmx fragments, JSON, feeds) goes to the network as usual.
});

// Pages a page links to and wants kept for offline use before they are opened: the "How to"
// pages (with their figures) of the items on /today. At most 30, only pages kept offline
// anyway, and only those not stored yet (a stored one is refreshed whenever it is opened).
async function keepPages(paths) {
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(paths.slice(0, 30).map(async (path) => {
    let url;
    try {
      url = new URL(path, self.location.origin);
    } catch (e) {
      return;
    }
    if (url.origin !== self.location.origin || !keptOffline(url)) return;
    url.hash = "";
    if (await cache.match(url.href, { ignoreVary: true })) return;
    try {
      const response = await fetch(url.href, { credentials: "same-origin" });
      if (storable(response)) await cache.put(url.href, response);
    } catch (e) {
      // offline: stored when next opened
    }
  }));
}

// Logging out forgets the stored pages: they hold this person's plan and diary.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "keep-pages" && Array.isArray(event.data.paths)) {
    event.waitUntil(keepPages(event.data.paths.filter((p) => typeof p === "string")));
  }
  if (event.data && event.data.type === "forget-pages") {
    event.waitUntil(caches.keys().then((names) => Promise.all(
      names.filter((n) => n.startsWith("pages-")).map((n) => caches.delete(n)),
    )));
  }
});

// --- outbox ---

importScripts(OUTBOX_URL);

self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") {
    event.waitUntil(self.Outbox.replay().then((outcome) => {
      // Tell open pages, so they can update their notes; a stop makes the sync retry.
      self.clients.matchAll({ type: "window" }).then((windows) => windows.forEach(
        (w) => w.postMessage({ type: "outbox-replayed", outcome }),
      ));
      if (outcome.stopped === "offline" || outcome.stopped === "server") {
        throw new Error("outbox not sent yet");
      }
    }));
  }
});

// --- push ---
//
// The server sends JSON (tracker/domain/push_payload.py, build_payload):
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
