// @segment/analytics-node 3.x: the scenario, then flush. No gzip option in this SDK.
"use strict";

const { Analytics } = require("@segment/analytics-node");
const { settings, load, fields } = require("./scenario");

const SDK = "segment-node";

async function main() {
  const { url, key, wrongKey } = settings();
  const analytics = new Analytics({ writeKey: key, host: url, maxEventsInBatch: 20, flushInterval: 200 });
  analytics.on("error", (error) => console.error(`${SDK}: ${error.code}: ${error.reason || error.message || ""}`));
  const { calls, edges, big } = load(SDK);
  const messages = wrongKey ? calls.slice(0, 2) : [...calls, ...edges, ...big];
  for (const message of messages) {
    const [type, rest] = fields(message);
    analytics[type](rest);
  }
  await analytics.closeAndFlush({ timeout: 30000 });
}

main().catch((error) => {
  console.error(`${SDK}: ${error.stack || error}`);
  process.exit(1);
});
