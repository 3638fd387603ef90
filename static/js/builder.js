"use strict";
// Plan builder enhancements. The builder works without this file: every button posts the
// whole form and the page comes back. With it (and htmx):
// - opened items stay open across updates, and a 422 (the draft needs fixing) still swaps in;
// - an item's summary line, its title and a phase's title follow what is typed at once
//   (the words are the server's: ItemDraft.summary and wording.cadence_text; a browser
//   test holds the two to the same text);
// - "builder-edited" on <body> after each edit asks for the 12-week preview again;
// - a value typed while a request is on its way is never lost. The answer replaces only
//   the part its action changed, and a control in that part edited after the request left
//   gets the typed value back: found by the prefix its fields were posted under
//   (data-origin), as a remove or a move renumbers the fields after it;
// - a queued request whose button or select has since been replaced is not sent (its
//   indices might name another item now), and Enter in a text box sends nothing (the
//   preview is live, so there is nothing to update).

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const SHORT_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WITH_WEEKDAYS = ["weekly_days", "every_n_weeks", "monthly_weekday"];
const KINDS = ["every_n_days", ...WITH_WEEKDAYS, "monthly"];
const ORDINALS = [1, 2, 3, 4, -1];
const MAX_INTERVAL = 52;
const WHOLE_NUMBER = /^[+-]?\d{1,12}$/;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const FIELD_ID = /^(phases-\d+)(-items-\d+)?(-.+)$/;

// --- the summary line, as ItemDraft.summary words it ---------------------------------

function wholeNumber(text, otherwise) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  return WHOLE_NUMBER.test(trimmed) ? parseInt(trimmed, 10) : otherwise;
}

function every(n, unit) {
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

function ordinalText(n) {
  return n === -1 ? "last" : `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n] || "th"}`;
}

// "daily", "Mon, Wed", "every 2 weeks on Monday"...; "" while the cadence is not valid yet.
function cadenceText(c) {
  const days = c.weekdays;
  if (!KINDS.includes(c.kind) || !(c.interval >= 1 && c.interval <= MAX_INTERVAL)) return "";
  if (!["calendar", "after_done"].includes(c.anchor)) return "";
  if (c.kind === "weekly_days" && !days.length) return "";
  if (["every_n_weeks", "monthly_weekday"].includes(c.kind) && days.length !== 1) return "";
  if (c.kind === "monthly_weekday" && !ORDINALS.includes(c.ordinal)) return "";
  let text;
  if (c.kind === "every_n_days") text = c.interval === 1 ? "daily" : every(c.interval, "day");
  else if (c.kind === "weekly_days") {
    text = days.length === 7 ? "daily" : days.map((d) => SHORT_WEEKDAYS[d]).join(", ");
  } else if (c.kind === "every_n_weeks") text = `${every(c.interval, "week")} on ${WEEKDAYS[days[0]]}`;
  else if (c.kind === "monthly_weekday") {
    text = `${every(c.interval, "month")} on the ${ordinalText(c.ordinal)} ${WEEKDAYS[days[0]]}`;
  } else text = c.interval === 1 ? "monthly" : every(c.interval, "month");
  if (c.anchor === "after_done") text += ", counted from the last time it was done";
  return text;
}

function shortDose(d) {
  const parts = [];
  if (d.hold_seconds) parts.push(`hold ${d.hold_seconds} s`);
  if (d.minutes) parts.push(`${d.minutes} min`);
  if (d.repetitions) parts.push(`×${d.repetitions}`);
  if (d.sets) parts.push(d.sets !== 1 ? `${d.sets} sets` : "1 set");
  if (d.per_side) parts.push("each side");
  return parts.join(" ");
}

function timeOfDay(text) {
  let t = text.trim();
  if ((t.length === 4 || t.length === 7) && t[1] === ":") t = `0${t}`;
  if (t.length === 8 && t.endsWith(":00")) t = t.slice(0, 5);
  return HH_MM.test(t);
}

function summaryOf(row) {
  const q = row.dataset.prefix;
  const value = (name) => {
    const control = document.getElementById(`${q}-${name}`);
    return control ? control.value : "";
  };
  const kind = value("cadence_kind").trim() || "every_n_days";
  const interval = wholeNumber(value("interval"), 1);
  const weekdays = [...row.querySelectorAll(`input[name="${q}-weekdays"]:checked`)]
    .map((box) => Number(box.value)).filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b);
  const ordinal = value("ordinal").trim() || "1";
  const cadence = cadenceText({
    kind,
    interval: interval === null ? 1 : interval,
    weekdays: WITH_WEEKDAYS.includes(kind) ? [...new Set(weekdays)] : [],
    anchor: value("anchor").trim() || "calendar",
    ordinal: WHOLE_NUMBER.test(ordinal) ? parseInt(ordinal, 10) : ordinal,
  });
  if (!cadence) return "";
  const perSide = document.getElementById(`${q}-per_side`);
  const dose = shortDose({
    hold_seconds: wholeNumber(value("hold_seconds"), null),
    minutes: wholeNumber(value("minutes"), null),
    repetitions: wholeNumber(value("repetitions"), null),
    sets: wholeNumber(value("sets"), null),
    per_side: Boolean(perSide && perSide.checked),
  });
  const time = value("time_of_day");
  const when = timeOfDay(time) ? ` at ${time}` : "";
  return [cadence + when, dose].filter(Boolean).join(" · ");
}

function showItem(row, control) {
  const line = row.querySelector(".item-summary");
  if (line) {
    line.textContent = summaryOf(row);
    line.hidden = !line.textContent;
  }
  if (control.id === `${row.dataset.prefix}-technique` && control.value) {
    const title = row.querySelector(".item-title");
    const chosen = control.selectedOptions[0];
    if (title && chosen) title.textContent = chosen.textContent.trim();
  }
}

function showPhase(phase, control) {
  if (control.id !== `${phase.dataset.prefix}-name`) return;
  const label = phase.querySelector(".phase-label");
  if (label) label.textContent = control.value.trim() || "Unnamed phase";
}

// --- edits, and the requests they race -----------------------------------------------

let sequence = 0; // one more for every edit
const edits = new Map(); // a control's id -> { seq, control } of its latest edit

function draftControl(target) {
  return target instanceof HTMLElement && target.closest("#builder-form") &&
    !target.closest("#preview") ? target : null;
}

function edited(event) {
  const control = draftControl(event.target);
  if (!control || !control.id) return;
  edits.set(control.id, { seq: ++sequence, control });
  const row = control.closest(".item-row");
  if (row) showItem(row, control);
  const phase = control.closest(".phase-editor");
  if (phase) showPhase(phase, control);
  if (control.type !== "search") document.body.dispatchEvent(new CustomEvent("builder-edited"));
}
document.addEventListener("input", edited);
document.addEventListener("change", edited);

document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement)) return;
  const input = details.querySelector(":scope > input[data-open]");
  if (!input || input.value === (details.open ? "1" : "")) return;
  input.value = details.open ? "1" : "";
  edits.set(input.id, { seq: ++sequence, control: input }); // opened during a swap: stays open
}, true);

// A request that changes the draft: the form's buttons and a technique's select (not the
// technique search, a GET, nor the preview asking for itself).
function draftRequest(detail) {
  const verb = detail.verb || (detail.requestConfig && detail.requestConfig.verb);
  return verb === "post" && draftControl(detail.elt) !== null;
}

document.addEventListener("htmx:configRequest", (event) => {
  const detail = event.detail;
  if (!draftRequest(detail)) return;
  const submitter = detail.triggeringEvent && detail.triggeringEvent.submitter;
  const source = submitter || detail.elt;
  if (!source.isConnected || (submitter && submitter.value === "refresh")) {
    event.preventDefault(); // replaced while it waited its turn, or Enter in a text box
    return;
  }
  // The button pressed, not whichever one htmx saw last (it may have moved on).
  if (submitter && submitter.name) detail.parameters[submitter.name] = submitter.value;
});

document.addEventListener("htmx:beforeSend", (event) => {
  if (draftRequest(event.detail)) event.detail.xhr.builderSent = sequence;
});

let focusBeforeSwap = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  if (detail.xhr.status === 422 && detail.target && detail.target.id === "builder") {
    detail.shouldSwap = true;
    detail.isError = false;
  }
  const active = document.activeElement;
  focusBeforeSwap = active && active !== document.body ? {
    control: active,
    start: selection(active, "selectionStart"),
    end: selection(active, "selectionEnd"),
  } : null;
});

function selection(control, name) {
  try {
    return control[name];
  } catch {
    return null; // number inputs have none
  }
}

// The control that now stands for `control`, which a swap took out of the page. After each
// answer every part's data-origin is set to its own prefix, so the only parts whose origin
// names a prefix they no longer have are the ones this answer brought.
function replacementOf(control) {
  const found = FIELD_ID.exec(control.id);
  if (!found) return document.getElementById(control.id);
  const origin = found[1] + (found[2] || "");
  const owner = document.querySelector(`#builder-form [data-origin="${origin}"]`);
  return owner ? document.getElementById(owner.dataset.prefix + found[3]) : null;
}

function copyValue(from, to) {
  const box = from.type === "checkbox" || from.type === "radio";
  if (box ? to.checked === from.checked : to.value === from.value) return false;
  if (box) to.checked = from.checked;
  else to.value = from.value;
  if (to.matches("input[data-open]")) {
    to.closest("details").open = to.value === "1";
    return false; // nothing to say again
  }
  return true;
}

// One answer may swap several parts (an item and, out of band, the one it swapped places
// with): each gets an htmx:afterSwap, the first one sees them all in place.
document.addEventListener("htmx:afterSwap", (event) => {
  const xhr = event.detail.xhr;
  if (!xhr || xhr.builderSent === undefined || xhr.builderRestored) return;
  xhr.builderRestored = true;
  const typed = [];
  for (const [id, edit] of edits) {
    if (edit.control.isConnected) continue;
    edits.delete(id);
    const now = edit.seq > xhr.builderSent ? replacementOf(edit.control) : null;
    if (now && copyValue(edit.control, now)) typed.push(now);
  }
  const focus = focusBeforeSwap;
  // Someone typing elsewhere keeps the focus: what an action would focus (the item it
  // added, the button after a removal) waits for a button press.
  if (focus && focus.control.matches("input:not([type=submit]), select, textarea")) {
    for (const wants of document.querySelectorAll("#builder [autofocus]")) {
      wants.removeAttribute("autofocus");
    }
  }
  if (focus && !focus.control.isConnected && focus.control.id) {
    const now = replacementOf(focus.control);
    if (now) {
      now.focus({ preventScroll: true });
      if (focus.start !== null && focus.start !== undefined) {
        try {
          now.setSelectionRange(focus.start, focus.end);
        } catch {
          // not a text box
        }
      }
    }
  }
  for (const part of document.querySelectorAll("#builder-form [data-origin]")) {
    part.dataset.origin = part.dataset.prefix;
  }
  // Said again, so the summary follows and a select asks for its item again.
  for (const control of typed) {
    const box = control.tagName === "SELECT" || control.type === "checkbox";
    control.dispatchEvent(new Event(box ? "change" : "input", { bubbles: true }));
  }
  // The draft changed: the preview asks again (unless it is what just came).
  if (event.target.id !== "preview") document.body.dispatchEvent(new CustomEvent("builder-edited"));
});
