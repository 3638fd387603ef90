// The outbox: changes made offline (check-offs, undos, skips, check-ins), kept in
// IndexedDB until the server has them. Loaded by pages (static/js/offline.js) and by the
// service worker (importScripts in /sw.js), so either can replay: the page on the `online`
// event and on load, the worker on Background Sync.
//
// Each change carries an idempotency key (`op_id`) made when it was first tried; the server
// applies a key at most once (tracker/store/offline.py), so replaying after a lost response, or
// from the page and the worker at once, never duplicates. Changes replay in the order they
// were made, one at a time, and only for the user who made them.
"use strict";

(function (scope) {
  const DB_NAME = "tracker-outbox";
  const STORE = "changes";
  const SESSION_URL = "/offline/session";

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function open() {
    const req = scope.indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    };
    return request(req);
  }

  async function withStore(mode, fn) {
    const db = await open();
    try {
      const tx = db.transaction(STORE, mode);
      const result = await fn(tx.objectStore(STORE));
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
      return result;
    } finally {
      db.close();
    }
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // change: {key, user, url, fields: [[name, value], ...], kind, label}
  function add(change) {
    const record = Object.assign({ createdAt: new Date().toISOString() }, change);
    return withStore("readwrite", (store) => request(store.add(record)));
  }

  function list() {
    return withStore("readonly", (store) => request(store.getAll()));
  }

  function remove(seq) {
    return withStore("readwrite", (store) => request(store.delete(seq)));
  }

  async function pending(user) {
    return (await list()).filter((c) => user === undefined || String(c.user) === String(user));
  }

  // One replay at a time per browser (page and worker included) where Web Locks exist;
  // without them the server's keys still make overlapping replays harmless.
  function exclusively(fn) {
    const locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("tracker-outbox-replay", fn) : fn();
  }

  async function session() {
    const response = await fetch(SESSION_URL, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.includes("json")) return null; // logged out: the login page
    return response.json();
  }

  // Sends the queued changes in order. Resolves to
  //   {sent, dropped: [{label, status}], attention: [url], stopped: null|"offline"|"login"|"server"}
  // A change the server refused for good (400-499: too old, no longer on the plan) is
  // dropped and reported; a network failure, a 5xx or a 429 stops and keeps the rest.
  function replay() {
    return exclusively(async () => {
      const outcome = { sent: 0, dropped: [], attention: [], stopped: null };
      let who;
      try {
        who = await session();
      } catch (e) {
        outcome.stopped = "offline";
        return outcome;
      }
      if (!who) {
        outcome.stopped = "login";
        return outcome;
      }
      for (const change of await pending(who.user)) {
        const body = new URLSearchParams(change.fields);
        body.set("op_id", change.key);
        let response;
        try {
          response = await fetch(change.url, {
            method: "POST",
            body,
            credentials: "same-origin",
            headers: { "X-CSRFToken": who.csrf, "HX-Request": "true" },
          });
        } catch (e) {
          outcome.stopped = "offline";
          return outcome;
        }
        if (response.status >= 500 || response.status === 429 || response.headers.get("HX-Redirect")) {
          outcome.stopped = response.headers.get("HX-Redirect") ? "login" : "server";
          return outcome;
        }
        if (response.ok) {
          outcome.sent += 1;
          // A replayed check-in that needs the safety questions answered lands there.
          const path = new URL(response.url, scope.location.origin).pathname;
          if (response.redirected && path.startsWith("/checkin/")) outcome.attention.push(path);
        } else {
          outcome.dropped.push({ label: change.label || "A change", status: response.status });
        }
        await remove(change.seq);
      }
      return outcome;
    });
  }

  scope.Outbox = { add, list, pending, remove, replay, newKey };
})(self);
