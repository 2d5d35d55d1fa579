// The embed script on a storefront page behind the edge worker: it reads the worker's cookies
// (the shopper key and memory), decides in the browser, and writes the memory cookie back, so
// the edge and the page never lose each other's dismissals. `?now=` sets the clock (tests).
import { mount } from "/assets/tactful/embed/embed.js";

const now = new URLSearchParams(location.search).get("now");
window.tactfulWidget = await mount({
  slot: "#in-page-offer",
  snapshot: "/assets/tactful/inkwell-studio.snap",
  surface: "cart",
  context: { cart: ["course-foundations"], events: [{ name: "view_item" }, { name: "add_to_cart" }, { name: "view_cart" }] },
  ...(now ? { now: () => Number(now) } : {}),
});
