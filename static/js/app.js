// Small progressive enhancements. Every page works without this file.
"use strict";

// Registration: preselect the browser's own time zone when the list has it.
function preselectTimeZone() {
  const select = document.querySelector("select[data-browser-default]");
  if (!select || select.dataset.touched) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && [...select.options].some((o) => o.value === zone) && select.value === "UTC") {
    select.value = zone;
  }
  select.addEventListener("change", () => { select.dataset.touched = "1"; });
}

document.addEventListener("DOMContentLoaded", preselectTimeZone);
