// The in-app widget inside a course: the in_product surface needs a completed action, so the
// widget shows nothing while a lesson plays and an offer once it is completed. The course
// player pushes lesson_started and lesson_completed to the dataLayer, as it would for GA4.
import { mount } from "/pkg/embed/embed.js";
import { demoOptions, renderPanel } from "/demo.js";

const options = demoOptions();
let lessonsCompleted = 3;
const reports = [];
const panel = document.getElementById("why");
const demo = { reports, decisions: [], widget: null, accepted: [] };
window.tactfulDemo = demo;
window.dataLayer = window.dataLayer || [];

const widget = await mount({
  slot: "#offer",
  ...options.mount,
  context: () => ({ facts: { orders: 2, lessons_completed: lessonsCompleted, days_since_last_purchase: 12 } }),
  labels: { accept: "Get it", heading: "Next for your practice" },
  onReport(report) {
    reports.push(report);
    if (demo.widget) renderPanel(panel, demo.widget.decision, demo.widget, reports);
  },
  onAccept(offer) {
    demo.accepted.push(offer.offerId);
  },
  onDecision(decision, w) {
    demo.decisions.push(decision);
    renderPanel(panel, decision, w, reports);
  },
});
demo.widget = widget;
renderPanel(panel, widget.decision, widget, reports);

const start = document.getElementById("start");
const complete = document.getElementById("complete");
const state = document.getElementById("lesson-state");
const player = document.getElementById("player-text");
start.addEventListener("click", () => {
  window.dataLayer.push({ event: "lesson_started", label: "lesson 4" });
  state.textContent = "Lesson in progress";
  player.textContent = "▶ Playing: Light, shadow and form";
  start.disabled = true;
  complete.disabled = false;
});
complete.addEventListener("click", () => {
  lessonsCompleted += 1;
  window.dataLayer.push({ event: "lesson_completed", label: "lesson 4" });
  state.textContent = "Lesson completed";
  player.textContent = "✓ Lesson 4 completed";
  complete.disabled = true;
});
document.documentElement.dataset.tactfulReady = "true";
