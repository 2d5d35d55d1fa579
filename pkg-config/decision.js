
// Appended by build.sh to the browser's and Node's glue. `engine.explain` and `engine.info` are
// the objects of `explainJson`'s and `infoJson`'s text (asked for rarely; an explanation is
// mostly words). `engine.decide` builds the
// decision's object from its tape (`decideParts`: a Float64Array of its numbers in the order of
// its JSON, and its strings in one string, each string's length on the tape) instead of
// parsing JSON text: the same object as `JSON.parse(engine.decideJson(...))`, key order
// included. src/wasm/tape.rs writes the tape and says what it holds; a decision record (with
// the context it was decided from) comes as its JSON text. In a block, so that a minifier may
// shorten its names.
{
  let tapeNumbers, tapeWords, tapeAt, wordsAt;
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
    const parts = this.decideParts(context, memory, options);
    if (typeof parts === "string") return JSON.parse(parts);
    [tapeNumbers, tapeWords] = parts;
    tapeAt = wordsAt = 0;
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
    tapeNumbers = tapeWords = undefined;
    return decided;
  };
  Engine.prototype.explain = function explain(context, memory) {
    return JSON.parse(this.explainJson(context, memory));
  };
  Engine.prototype.info = function info() {
    return JSON.parse(this.infoJson());
  };
}
