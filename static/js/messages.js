// Messages: the box swaps in its own errors, and keeps the focus after sending.
// Every part of the thread works without this file (a plain form post).
"use strict";

// A 422 (empty, too long) or 429 (too many at once) answers with the box and its error:
// swap it in, as htmx leaves error answers out by default.
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  const status = event.detail.xhr.status;
  if (target && target.id === "message-form" && (status === 422 || status === 429)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The new box (after a send, or with its error) gets the focus back.
document.addEventListener("htmx:load", (event) => {
  const form = event.detail.elt;
  if (form && form.id === "message-form") {
    const box = form.querySelector("textarea");
    if (box) box.focus();
  }
});

// Opening a thread with messages: the newest and the box in view.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("message-form");
  if (form && !window.location.hash && document.querySelector("#thread .message")) {
    form.scrollIntoView({ block: "end" });
  }
});
