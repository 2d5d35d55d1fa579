
// Appended by build.sh to the browser's and Node's glue. `engine.explain` and `engine.info` are
// the objects of `explainJson`'s and `infoJson`'s text (asked for rarely; an explanation is
// mostly words). `engine.decide` builds the decision's object from its tape instead of parsing
// JSON text: the same object as `JSON.parse(engine.decideJson(...))`, key order included.
// src/wasm/tape.rs writes the tape and says what it holds: the decision's numbers, read here
// where they lie in the module's memory, and its strings, returned as one string with each
// one's length among the numbers. The context crosses as JSON text made here (a
// `JSON.stringify` called from the module went through a wrapper that cost more than the
// call); one with no JSON form goes to `decideJson`, which throws the error that names it. A
// decision record (with the context it was decided from) comes as its JSON text.
//
// Strings go into the module through wasm-bindgen's `passStringToWasm0`, which copies one
// character at a time in JavaScript up to the first that is not ASCII: a context's 400-700
// bytes were 5% of a decision. This one (same arguments, same result) asks `encodeInto` for
// the whole string first, a native copy; only a string with other characters takes the
// second step, which sizes the buffer for UTF-8 as wasm-bindgen does. `WASM_VECTOR_LEN`,
// `cachedTextEncoder` and `getUint8ArrayMemory0` are the glue's own (a wasm-bindgen that
// renamed them would fail every test at import).
passStringToWasm0 = function passStringToWasm0ByEncodeInto(arg, malloc, realloc) {
  const units = arg.length;
  let ptr = malloc(units, 1) >>> 0;
  const first = cachedTextEncoder.encodeInto(arg, getUint8ArrayMemory0().subarray(ptr, ptr + units));
  let written = first.written;
  if (first.read < units) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a pair's 4 bytes are 2 per unit).
    const room = written + (units - first.read) * 3;
    ptr = realloc(ptr, units, room, 1) >>> 0;
    written += cachedTextEncoder.encodeInto(arg.slice(first.read), getUint8ArrayMemory0().subarray(ptr + written, ptr + room)).written;
    ptr = realloc(ptr, room, written, 1) >>> 0;
  }
  WASM_VECTOR_LEN = written;
  return ptr;
};
let tapeMemory, tapeNumbers, tapeWords, tapeAt, wordsAt;
const tapeNumber = () => {
  const x = tapeNumbers[tapeAt++];
  return x === x ? x : null;
};
const tapeString = () => tapeWords.slice(wordsAt, (wordsAt += tapeNumbers[tapeAt++]));
const tapeFlag = () => tapeNumbers[tapeAt++] === 1;
const tapeList = (entry) => {
  const list = [];
  for (let n = tapeNumbers[tapeAt++]; n > 0; n--) list.push(entry());
  return list;
};
const tapeWhy = () => {
  const why = { code: tapeString() };
  if (tapeFlag()) why.signal = tapeString();
  if (tapeFlag()) why.seed = tapeString();
  if (tapeFlag()) why.item = tapeString();
  if (tapeFlag()) why.percent = tapeNumber();
  return why;
};
const tapeShown = () => {
  const offer = {
    offerId: tapeString(),
    kind: tapeString(),
    frame: tapeString(),
    price: tapeNumber(),
    discountPercent: tapeNumber(),
    finalPrice: tapeNumber(),
    score: tapeNumber(),
    acceptProbability: tapeNumber(),
    why: tapeList(tapeWhy),
  };
  if (tapeFlag()) offer.text = { title: tapeString(), copy: tapeString(), reasons: tapeList(tapeString) };
  return offer;
};
const tapeLeftOut = () => {
  const left = { offerId: tapeString(), reason: tapeString(), rule: tapeString() };
  if (tapeFlag()) left.until = tapeNumber();
  return left;
};
const tapeWarning = () => ({ code: tapeString(), message: tapeString() });
const tapeExposed = () => {
  const offer = {
    offerId: tapeString(),
    position: tapeNumber(),
    frame: tapeString(),
    price: tapeNumber(),
    finalPrice: tapeNumber(),
    margin: tapeNumber(),
    score: tapeNumber(),
    propensity: tapeNumber(),
  };
  if (tapeFlag()) offer.framePropensity = tapeNumber();
  if (tapeFlag()) offer.frameDrawn = true;
  return offer;
};
Engine.prototype.decide = function decide(context, memory, options) {
  let text;
  try {
    text = typeof context === "string" ? context : JSON.stringify(context);
  } catch {}
  if (typeof text !== "string") return JSON.parse(this.decideJson(context, memory, options));
  tapeWords = this.decideParts(text, memory, options);
  tapeAt = this.tapeAt();
  if (tapeAt === 0) return JSON.parse(tapeWords);
  tapeMemory ??= this.tapeMemory();
  // One view over the module's memory, made again only when the memory has grown.
  if (tapeNumbers?.buffer !== tapeMemory.buffer) tapeNumbers = new Float64Array(tapeMemory.buffer);
  wordsAt = 0;
  const decision = {
    snapshotId: tapeString(),
    decisionId: tapeString(),
    surface: tapeString(),
    play: tapeString(),
    stage: tapeString(),
    readiness: tapeNumber(),
    risk: tapeNumber(),
    priceSensitivity: tapeNumber(),
    currency: tapeString(),
    offers: tapeList(tapeShown),
    leftOut: tapeList(tapeLeftOut),
  };
  if (tapeFlag()) decision.notConsidered = { pastCandidateLimit: tapeNumber(), afterEnoughEligible: tapeNumber() };
  decision.holdout = tapeFlag();
  decision.wouldHaveShown = tapeList(tapeShown);
  decision.warnings = tapeList(tapeWarning);
  decision.exposure = {
    type: tapeString(),
    v: tapeNumber(),
    decisionId: tapeString(),
    snapshotId: tapeString(),
    surface: tapeString(),
    at: tapeNumber(),
    shopperKey: tapeString(),
    currency: tapeString(),
    holdout: tapeFlag(),
    play: tapeString(),
    explored: tapeFlag(),
    propensity: tapeNumber(),
    offers: tapeList(tapeExposed),
  };
  const decided = { decision, memory: tapeString() };
  tapeWords = undefined;
  return decided;
};
Engine.prototype.explain = function explain(context, memory) {
  return JSON.parse(this.explainJson(context, memory));
};
Engine.prototype.info = function info() {
  return JSON.parse(this.infoJson());
};
