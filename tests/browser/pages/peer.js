// Algolia Recommend's frequently-bought-together widget (the registry's @algolia/recommend-js,
// its UMD build, with the @algolia/recommend client) in the same slot. Its decision is a request
// to Algolia's API, which the benchmark answers from the machine (a recorded-style response),
// so the figures are the widget's own work and bytes, with no network wait.
performance.mark("tactful:start");
const { frequentlyBoughtTogether } = window["@algolia/recommend-js"];
const client = window["@algolia/recommend"]("BENCHAPP01", "bench-search-only-key");
frequentlyBoughtTogether({
  container: "#offer",
  recommendClient: client,
  indexName: "inkwell_products",
  objectIDs: ["course-foundations"],
  maxRecommendations: 1,
  headerComponent: ({ html }) => html`<h3 class="tactful-heading">Add to your order</h3>`,
  itemComponent: ({ item, html }) => html`<article class="tactful-offer"><h4>${item.name}</h4><p>${item.copy}</p>
    <p>$${item.price}</p><button type="button">Add</button> <button type="button">No thanks</button></article>`,
  onRender() {},
});
new MutationObserver((_, observer) => {
  if (document.querySelector("#offer article")) {
    performance.mark("tactful:rendered");
    document.documentElement.dataset.rendered = "true";
    console.log("bench:rendered");
    observer.disconnect();
  }
}).observe(document.getElementById("offer"), { childList: true, subtree: true });
