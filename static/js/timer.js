// Hold timer for stretches and trigger points: counts each hold down, then the repetitions and
// sides, vibrates or beeps between steps, and checks the item off at the end. Runs entirely in
// the page, so it keeps working without a network once /today is loaded.
"use strict";

(function () {
  const REST_SECONDS = 5;
  const SIDES = ["left", "right"];

  function plan(hold, reps, sides) {
    const steps = [];
    for (let rep = 1; rep <= reps; rep++) {
      for (let side = 0; side < sides; side++) {
        const sideName = sides > 1 ? SIDES[side] : "";
        const where = sideName ? `, ${sideName} side` : "";
        steps.push({ seconds: hold, label: `Hold: ${rep} of ${reps}${where}`, hold: true, sideName });
        const last = rep === reps && side === sides - 1;
        if (!last) {
          steps.push({ seconds: REST_SECONDS, label: "Relax, then go again", hold: false, sideName });
        }
      }
    }
    return steps;
  }

  let audio = null;
  function beep(high) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = high ? 880 : 660;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.18);
    } catch (e) { /* no sound on this browser: the vibration and text still tell */ }
  }

  function signal(high) {
    if (navigator.vibrate) navigator.vibrate(high ? [120, 80, 120] : 150);
    beep(high);
  }

  function panelFor(item) {
    const panel = item.querySelector(".timer");
    panel.replaceChildren();
    const status = document.createElement("p");
    status.className = "status";
    status.setAttribute("aria-live", "assertive");
    const count = document.createElement("p");
    count.className = "count";
    count.setAttribute("role", "timer");
    const stop = document.createElement("button");
    stop.type = "button";
    stop.className = "timer-stop";
    stop.textContent = "Stop timer";
    panel.append(status, count, stop);
    panel.hidden = false;
    return { panel, status, count, stop };
  }

  // The pose for a step: the hold on its side ("hold-left", "hold-right"; else a hold on
  // no side, else any hold), or the pose between holds ("rest", else any hold). The server
  // renders every key pose hidden (templates/today/_timer_poses.html); none without a figure.
  function showPose(item, step) {
    const box = item.querySelector(".timer-poses");
    if (!box) return;
    const poses = Array.from(box.querySelectorAll(".timer-pose"));
    const byRole = (role) => poses.find((p) => p.dataset.role === role);
    const anyHold = poses.find((p) => p.dataset.role.startsWith("hold")) || poses[0];
    let wanted = null;
    if (step && step.hold) wanted = byRole(`hold-${step.sideName}`) || byRole("hold");
    else if (step) wanted = byRole("rest");
    const shown = wanted || anyHold;
    poses.forEach((p) => { p.hidden = p !== shown; });
    box.hidden = !step;
  }

  function run(button) {
    const item = document.getElementById(button.dataset.item);
    if (!item || item.dataset.timing) return;
    const steps = plan(+button.dataset.hold, +button.dataset.reps || 1, +button.dataset.sides || 1);
    const ui = panelFor(item);
    let lock = null;
    if (navigator.wakeLock) navigator.wakeLock.request("screen").then((l) => { lock = l; }, () => {});
    item.dataset.timing = "1";
    button.hidden = true;

    let index = -1;
    let stepEnds = 0;
    const finish = (completed) => {
      clearInterval(ticker);
      delete item.dataset.timing;
      if (lock) lock.release().catch(() => {});
      showPose(item, null);
      if (!completed) {
        ui.panel.hidden = true;
        button.hidden = false;
        button.focus();
        return;
      }
      ui.status.textContent = "Done. Checking it off.";
      ui.count.textContent = "✓";
      signal(true);
      const form = item.querySelector("form.check");
      const pressed = form && form.querySelector("[aria-pressed='true']");
      if (form && !pressed) form.requestSubmit();
    };
    const tick = () => {
      const now = performance.now();
      if (index < 0 || now >= stepEnds) {
        index += 1;
        if (index >= steps.length) return finish(true);
        stepEnds = now + steps[index].seconds * 1000;
        ui.status.textContent = steps[index].label;
        showPose(item, steps[index]);
        if (index > 0) signal(false);
      }
      ui.count.textContent = Math.max(1, Math.ceil((stepEnds - now) / 1000)) + " s";
    };
    // Time from the clock, not from counting ticks: a throttled tab still ends on time.
    const ticker = setInterval(tick, 200);
    ui.stop.addEventListener("click", () => finish(false));
    tick();
    ui.stop.focus();
  }

  function reveal(root) {
    root.querySelectorAll(".timer-start[hidden]").forEach((b) => { b.hidden = false; });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".timer-start");
    if (button) run(button);
  });
  document.addEventListener("DOMContentLoaded", () => reveal(document));
  document.addEventListener("htmx:load", (event) => reveal(event.detail.elt));
  window.holdTimerPlan = plan; // for tests
})();
