"use strict";
// Plan builder enhancements.
// The builder works without this; with it, opened items stay open across updates and
// a 422 (the draft needs fixing) still swaps in, showing its messages.
document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement)) return;
  const input = details.querySelector(":scope > input[data-open]");
  if (input) input.value = details.open ? "1" : "";
}, true);
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (event.detail.xhr.status === 422 && target && target.id === "builder") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
