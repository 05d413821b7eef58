// analytics-node 6.x (Segment's previous Node SDK): the scenario, then flush. No gzip option;
// timestamps must be Date objects, and a message over 32 KiB throws at enqueue.
"use strict";

const Analytics = require("analytics-node");
const { settings, load, fields } = require("./scenario");

const SDK = "analytics-node";

async function main() {
  const { url, key, wrongKey } = settings();
  const analytics = new Analytics(key, {
    host: url,
    flushAt: 20,
    flushInterval: 200,
    errorHandler: (error) => console.error(`${SDK}: ${error.message}`),
  });
  const { calls, edges, big } = load(SDK);
  const messages = wrongKey ? calls.slice(0, 2) : [...calls, ...edges, ...big];
  for (const message of messages) {
    const [type, rest] = fields(message);
    try {
      analytics[type]({ ...rest, timestamp: new Date(rest.timestamp) });
    } catch (error) {
      console.error(`${SDK}: ${message.messageId} not sent: ${error.message}`);
    }
  }
  await analytics.flush();
}

main().catch((error) => {
  console.error(`${SDK}: ${error.stack || error}`);
  process.exit(1);
});
