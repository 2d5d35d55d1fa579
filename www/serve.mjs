// A small static server for the demos and the browser tests: www/ at /, the built package at
// /pkg/, the compiled snapshot at /out/, on 127.0.0.1 only. It sends the strict
// Content-Security-Policy the demos must work under, serves .wasm as application/wasm (so the
// browser can instantiate it while it streams in), and compresses as a CDN would (brotli when
// the browser asks for it, else gzip), so transferred bytes can be measured.
//
//   node www/serve.mjs [--port 8080] [--no-csp] [--mount /url/=dir ...]
//
// This file is not served (only the file types below are).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".snap": "application/octet-stream",
  ".toml": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".json", ".wasm", ".snap", ".toml", ".svg"]);

export const DEFAULT_MOUNTS = { "/pkg/": join(root, "pkg"), "/out/": join(root, "out"), "/": join(root, "www") };

/**
 * Starts the server; resolves with { url, port, close(), requests }. `requests` logs every
 * request ({ path, status, bytes, encoding }) for tests. `cacheControl` is every answer's
 * Cache-Control (the cost benchmark makes its assets cacheable).
 */
export function startServer({ port = 0, host = "127.0.0.1", csp = true, mounts = DEFAULT_MOUNTS, log = false, cacheControl = "no-cache" } = {}) {
  const cache = new Map();
  const requests = [];
  // Longest prefix first, so /pkg/ wins over /.
  const table = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);

  async function body(file, encoding) {
    const info = await stat(file);
    const key = `${file}:${encoding}`;
    const hit = cache.get(key);
    if (hit && hit.mtime === info.mtimeMs) return hit.bytes;
    const raw = await readFile(file);
    const bytes = encoding === "br"
      ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
      : encoding === "gzip" ? gzipSync(raw, { level: 9 }) : raw;
    cache.set(key, { mtime: info.mtimeMs, bytes });
    return bytes;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path.endsWith("/")) path += "index.html";
    const mount = table.find(([prefix]) => path.startsWith(prefix));
    const done = (status, bytes = 0, encoding = "identity") => {
      requests.push({ path: url.pathname, status, bytes, encoding });
      if (log) console.log(`${status} ${url.pathname} ${bytes} B ${encoding}`);
    };
    const type = TYPES[extname(path)];
    if (!mount || !type || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return done(404);
    }
    const base = resolve(mount[1]);
    const file = normalize(join(base, path.slice(mount[0].length)));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return done(403);
    }
    try {
      const accepts = String(req.headers["accept-encoding"] ?? "");
      const compressible = COMPRESSIBLE.has(extname(path));
      const encoding = compressible && /\bbr\b/.test(accepts) ? "br" : compressible && /\bgzip\b/.test(accepts) ? "gzip" : "identity";
      const bytes = await body(file, encoding);
      const headers = {
        "content-type": type,
        "content-length": bytes.length,
        "cache-control": cacheControl,
        "x-content-type-options": "nosniff",
        vary: "accept-encoding",
      };
      if (encoding !== "identity") headers["content-encoding"] = encoding;
      if (csp && type.startsWith("text/html")) headers["content-security-policy"] = CSP;
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : bytes);
      done(200, bytes.length, encoding);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      done(404);
    }
  });

  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolvePromise({
        url: `http://${host}:${actual}`,
        port: actual,
        requests,
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let port = 8080;
  let csp = true;
  const mounts = { ...DEFAULT_MOUNTS };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--port") port = Number(args[++i]);
    else if (args[i] === "--no-csp") csp = false;
    else if (args[i] === "--mount") {
      const [prefix, dir] = args[++i].split("=");
      mounts[prefix] = resolve(dir);
    } else {
      console.error("usage: node www/serve.mjs [--port N] [--no-csp] [--mount /url/=dir]");
      process.exit(2);
    }
  }
  let server;
  try {
    server = await startServer({ port, csp, mounts, log: process.env.TACTFUL_SERVE_LOG === "1" });
  } catch (error) {
    if (error.code !== "EADDRINUSE") throw error;
    console.log(`port ${port} is in use; taking a free one`);
    server = await startServer({ port: 0, csp, mounts, log: process.env.TACTFUL_SERVE_LOG === "1" });
  }
  const { url } = server;
  console.log(`serving www/ (and pkg/, out/) on ${url} with CSP ${csp ? "on" : "off"}`);
  console.log(`  checkout demo   ${url}/checkout.html`);
  console.log(`  course demo     ${url}/course.html`);
  console.log(`  all demos       ${url}/`);
  console.log("Ctrl-C stops it.");
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
}
