// The floor of the cost benchmark: the same bare checkout page, whose only script writes a fixed
// card (text only) into the slot and marks it rendered. What the page costs with no widget
// behind its card; the widgets' figures less this one are what they add. Loaded as
// `bare.js?worker`, it first starts a module Worker that does nothing but answer, and writes
// the card when it has: the floor of any widget that decides in a worker.
function render() {
  const card = document.createElement("section");
  card.className = "tactful-card";
  const title = document.createElement("h2");
  title.textContent = "Creator Toolkit Bundle";
  const copy = document.createElement("p");
  copy.textContent = "Brushes, portfolio layouts and social templates: the whole toolkit for $49.";
  card.append(title, copy);
  document.querySelector("#offer").append(card);
  performance.mark("tactful:rendered");
  document.documentElement.dataset.rendered = "true";
  console.log("bench:rendered");
}

if (new URL(import.meta.url).searchParams.has("worker")) {
  new Worker("/bench/empty-worker.js", { type: "module" }).onmessage = render;
} else {
  render();
}
