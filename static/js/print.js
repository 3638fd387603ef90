// The handout's "Print" button (templates/handout/handout.html): shown only with JavaScript,
// since without it the browser's own Print does the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
});
