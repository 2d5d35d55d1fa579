// Prints the raw, gzip and brotli sizes of the files given, for the build log and the README.
import { readFileSync } from "node:fs";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

// KB = 1,000 bytes, as the budgets are written.
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
for (const path of process.argv.slice(2)) {
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`${path.padEnd(34)} raw ${kb(bytes.length).padStart(9)}   gzip ${kb(gzip).padStart(8)}   brotli ${kb(brotli).padStart(8)}`);
}
