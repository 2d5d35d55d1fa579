// The demo storefront's origin: a plain static server for the pages in `site/`, the kind of
// origin an edge worker sits in front of. It knows nothing about tactful; its pages only carry
// marked slots (`<div data-tactful-slot="checkout">`) and, on the slot, the page's context
// (`data-tactful-context`: the cart and events the origin knows, as JSON).
//
// Besides the files it answers `/oops` with a 500 HTML page (an origin error the worker must
// pass through untouched) and anything unknown with a 404 HTML page.
//
// It has a cart, as a store does, kept in its own cookie (`store_cart`, offer ids): `/cart/add`
// adds an offer, by `?offer=ID` (a link) or a posted form field `offer` (its add-to-cart form),
// and answers 303 to `/cart`; an id that is not one of the store's offers gets a 400. The cart
// and checkout pages then list what was added, and put its items in their slot's context, so
// the edge does not offer what is in the cart. The offers are the store's own catalog, the
// sample store's `offers.toml` (the file the snapshot is compiled from), of which it reads the
// `id`, `title` and `items` of each `[[offers]]`. It also hosts the built
// npm package under `/assets/tactful/` (the repository's `pkg/`, and the sample snapshot as
// `/assets/tactful/inkwell-studio.snap`), as a store hosts the embed script, for the page that
// puts the embed beside the worker (`/in-page-cart`).
//
//   node www/storefront/server.mjs [port]      listens on 127.0.0.1 (port 0: any free port)
//
// It prints `origin listening on http://127.0.0.1:PORT` once it listens, and stops on SIGINT or
// SIGTERM. Tests import `startOrigin` instead and close it themselves.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const SITE = fileURLToPath(new URL("./site/", import.meta.url));
const PACKAGE = fileURLToPath(new URL("../../pkg/", import.meta.url));
const SNAPSHOT = fileURLToPath(new URL("../../out/inkwell-studio.snap", import.meta.url));
const PACKAGE_PREFIX = "/assets/tactful/";
const OFFERS = fileURLToPath(new URL("../sample-store/offers.toml", import.meta.url));
const CART_COOKIE = "store_cart";
const CART_PAGES = new Set(["/cart", "/checkout"]);
const MAX_FORM_BYTES = 4096;

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".snap": "application/octet-stream",
};

const ERROR_500 = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Something broke</title></head>
<body><h1>500: the origin failed</h1>
<div data-tactful-slot="checkout"></div>
</body></html>
`;

/** Maps a URL path to a file under `site/` (or the package), or null when it would leave it. */
function fileFor(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path === `${PACKAGE_PREFIX}inkwell-studio.snap`) return SNAPSHOT;
  const [root, rest] = path.startsWith(PACKAGE_PREFIX) ? [PACKAGE, path.slice(PACKAGE_PREFIX.length)] : [SITE, path];
  if (rest.endsWith("/")) path = `${rest}index.html`;
  else path = extname(rest) ? rest : `${rest}.html`;
  const file = normalize(join(root, path));
  return file.startsWith(root) && !file.includes(`${sep}..${sep}`) ? file : null;
}

/** The store's offers by id: `{ title, items }`, from the `[[offers]]` tables of offers.toml. */
async function readCatalog() {
  const catalog = new Map();
  for (const table of (await readFile(OFFERS, "utf8")).split(/^\[\[offers\]\]$/m).slice(1)) {
    const head = table.split(/^\[/m)[0];
    const string = (key) => new RegExp(`^${key} = "([^"]*)"$`, "m").exec(head)?.[1];
    const items = /^items = \[([^\]]*)\]$/m.exec(head)?.[1].match(/"[^"]*"/g).map((item) => item.slice(1, -1));
    catalog.set(string("id"), { title: string("title"), items });
  }
  return catalog;
}

/** The offer ids in the shopper's cart cookie (known ones only, each once). */
function cartOf(request, catalog) {
  const cookie = (request.headers.cookie ?? "").split(";").map((part) => part.trim().split("="));
  const value = cookie.find(([name]) => name === CART_COOKIE)?.[1] ?? "";
  return [...new Set(value.split(".").filter((id) => catalog.has(id)))];
}

/** `/cart/add`: the offer named by `?offer=` or the posted form's `offer`, into the cart. */
async function addToCart(request, response, url, catalog) {
  let offer = url.searchParams.get("offer");
  if (request.method === "POST") {
    let body = "";
    for await (const chunk of request) {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) break;
    }
    offer = new URLSearchParams(body).get("offer");
  }
  if (!catalog.has(offer)) {
    response.writeHead(400, { "content-type": TYPES[".txt"], "x-origin": "storefront" });
    response.end(`no such offer: ${String(offer).slice(0, 64)}\n`);
    return;
  }
  const cart = [...new Set([...cartOf(request, catalog), offer])];
  response.writeHead(303, {
    location: "/cart",
    "set-cookie": `${CART_COOKIE}=${cart.join(".")}; Path=/; SameSite=Lax`,
    "x-origin": "storefront",
  });
  response.end();
}

/** A cart or checkout page with the added offers listed and their items in the slot's context. */
function withCart(html, cart, catalog) {
  const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const lines = cart.map((id) => `<li>${escape(catalog.get(id).title)} · added</li>`).join("");
  const items = cart.flatMap((id) => catalog.get(id).items);
  return html
    .replace(/(<ul class="cart">.*?)(<\/ul>)/, `$1${lines}$2`)
    .replace(/"cart":\[([^\]]*)\]/, (_, listed) => `"cart":[${[listed, ...items.map((item) => JSON.stringify(item))].filter(Boolean).join(",")}]`);
}

async function handle(request, response, catalog) {
  const url = new URL(request.url, "http://origin");
  const { pathname } = url;
  if (pathname === "/cart/add") {
    await addToCart(request, response, url, catalog);
    return;
  }
  if (pathname === "/oops") {
    response.writeHead(500, { "content-type": "text/html; charset=utf-8", "x-origin": "storefront" });
    response.end(ERROR_500);
    return;
  }
  const file = fileFor(pathname);
  let body;
  try {
    body = file && (await readFile(file));
  } catch {
    body = null;
  }
  if (!body) {
    const notFound = await readFile(join(SITE, "404.html"));
    response.writeHead(404, { "content-type": TYPES[".html"], "x-origin": "storefront" });
    response.end(notFound);
    return;
  }
  const cart = CART_PAGES.has(pathname) ? cartOf(request, catalog) : [];
  if (cart.length > 0) body = Buffer.from(withCart(body.toString("utf8"), cart, catalog));
  response.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": body.length,
    "cache-control": "no-cache",
    "x-origin": "storefront",
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

/** Starts the origin on 127.0.0.1; resolves to `{ url, port, close() }`. */
export async function startOrigin(port = 0) {
  const catalog = await readCatalog();
  const server = createServer((request, response) => {
    handle(request, response, catalog).catch((error) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(`origin error: ${error.message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      resolve({
        url: `http://127.0.0.1:${bound}`,
        port: bound,
        close: () => new Promise((done) => server.close(done)).then(() => server.closeAllConnections()),
        server,
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const origin = await startOrigin(Number(process.argv[2] ?? 0));
  console.log(`origin listening on ${origin.url}`);
  const stop = () => {
    origin.server.closeAllConnections();
    origin.server.close(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
