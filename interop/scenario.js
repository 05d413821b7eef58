// The shared scenario (scenario.json) for the Node programs: settings from argv or the
// environment, and every message expanded with its messageId, timestamp and padding.
"use strict";

const fs = require("fs");
const path = require("path");

/** `node PROGRAM [URL [KEY]]`, or COLLECTOR_URL and WRITE_KEY; INTEROP_MODE=wrong-key sends two calls only. */
function settings() {
  const [url = process.env.COLLECTOR_URL, key = process.env.WRITE_KEY] = process.argv.slice(2);
  if (!url || !key) {
    console.error(`usage: node ${path.basename(process.argv[1])} COLLECTOR_URL WRITE_KEY (or set them in the environment)`);
    process.exit(2);
  }
  return { url, key, wrongKey: process.env.INTEROP_MODE === "wrong-key" };
}

/** The messages of `sdk`: `calls` (the six calls), `edges` (the edge cases) and `big` (one large batch). */
function load(sdk) {
  const scenario = JSON.parse(fs.readFileSync(path.join(__dirname, "scenario.json"), "utf8"));
  const expand = ({ id, padding, count, ...message }) => {
    const out = { ...message, messageId: `${sdk}-${id}`, timestamp: message.timestamp || scenario.defaultTimestamp };
    if (padding) out.properties = { ...message.properties, notes: "x".repeat(padding) };
    return out;
  };
  const big = scenario.bigBatch;
  return {
    calls: scenario.calls.map(expand),
    edges: scenario.edges.map(expand),
    big: Array.from({ length: big.count }, (_, n) => expand({ ...big, id: `${big.id}-${n}` })),
  };
}

/** Splits a message into its call type and the fields the Node SDKs take. */
function fields(message) {
  const { type, ...rest } = message;
  return [type, rest];
}

module.exports = { settings, load, fields };
