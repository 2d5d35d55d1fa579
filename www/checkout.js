// The checkout demo: a creator store's checkout with one offer slot (the sample store's
// checkout surface shows at most one offer). The page pushes the GA4 e-commerce events it
// would push anyway; the embed reads them from the dataLayer.
import { mount } from "/pkg/embed/embed.js";
import { demoOptions, renderPanel } from "/demo.js";

const CATALOG = {
  "course-foundations": { name: "Foundations of Digital Illustration", price: 149 },
  "course-advanced": { name: "Advanced Character Design", price: 249 },
  "course-quickstart": { name: "Procreate Quickstart", price: 39 },
  "workbook-foundations": { name: "Foundations Workbook", price: 12 },
  "pack-starter": { name: "Starter Brush Pack", price: 19 },
  "pack-pro": { name: "Pro Brush Library", price: 49 },
  "pack-portfolio": { name: "Portfolio Layout Templates", price: 29 },
  "pack-social": { name: "Social Media Kit", price: 24 },
};
const options = demoOptions();
const cartParam = options.list("cart");
const cart = cartParam ?? ["course-foundations"];
const owned = options.list("owned") ?? [];
const lines = cart.map((id) => ({ id, name: CATALOG[id]?.name ?? id, price: CATALOG[id]?.price ?? 0 }));
const money = (n) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(n);

function drawOrder() {
  const list = document.getElementById("lines");
  list.replaceChildren(...lines.map((line) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = line.name;
    const price = document.createElement("span");
    price.textContent = money(line.price);
    li.append(name, price);
    return li;
  }));
  document.getElementById("total").textContent = money(lines.reduce((sum, l) => sum + l.price, 0));
}
if (cartParam) drawOrder(); // the default cart is already in the HTML

// What a GA4 store pushes on its way to checkout.
const items = cart.map((id) => ({ item_id: id, item_name: CATALOG[id]?.name ?? id, price: CATALOG[id]?.price ?? 0 }));
window.dataLayer = window.dataLayer || [];
window.dataLayer.push({ event: "view_item", ecommerce: { items: items.slice(0, 1) } });
window.dataLayer.push({ event: "add_to_cart", ecommerce: { items } });
window.dataLayer.push({ event: "begin_checkout", ecommerce: { currency: "USD", items } });

const reports = [];
const panel = document.getElementById("why");
const demo = { reports, decisions: [], widget: null, accepted: [] };
window.tactfulDemo = demo;

const widget = await mount({
  slot: "#offer",
  ...options.mount,
  labels: { accept: "Add" },
  context: () => ({ owned, facts: { orders: owned.length ? 1 : 0 } }),
  onReport(report) {
    reports.push(report);
    if (demo.widget) renderPanel(panel, demo.widget.decision, demo.widget, reports);
  },
  onAccept(offer) {
    demo.accepted.push(offer.offerId);
    lines.push({ id: offer.offerId, name: offer.text.title, price: offer.finalPrice / 100 });
    if (cartParam) drawOrder(); // the default cart is already in the HTML
  },
  onDecision(decision, w) {
    demo.decisions.push(decision);
    renderPanel(panel, decision, w, reports);
  },
});
demo.widget = widget;
renderPanel(panel, widget.decision, widget, reports);
document.documentElement.dataset.tactfulReady = "true";

document.getElementById("pay").addEventListener("submit", (event) => {
  event.preventDefault();
  document.getElementById("pay-state").textContent = "This is a demo: no payment is taken.";
});
