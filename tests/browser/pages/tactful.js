// The tactful embed on a bare checkout page, as the cost benchmark loads it. Loaded as
// `tactful.js?main`, it runs the engine on the page's main thread (`worker: false`) instead of
// in its module Worker.
import { mount } from "/pkg/embed/embed.js";

const items = [{ item_id: "course-foundations" }];
window.dataLayer = [
  { event: "view_item", ecommerce: { items } },
  { event: "add_to_cart", ecommerce: { items } },
  { event: "begin_checkout", ecommerce: { items } },
];
mount({ slot: "#offer", snapshot: "/out/inkwell-studio.snap", surface: "checkout", shopperKey: "demo-shopper-7", context: { facts: { orders: 0 } }, now: () => 1763726400000, ...(new URL(import.meta.url).searchParams.has("main") && { worker: false }) })
  .then((widget) => {
    document.documentElement.dataset.rendered = String(Boolean(document.querySelector(".tactful-card")));
    console.log("bench:rendered");
    window.benchDecision = widget.decision;
  });
