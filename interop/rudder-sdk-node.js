// @rudderstack/rudder-sdk-node 3.x: the six calls gzipped, the edge cases and the large batch
// plain, then flush. Timestamps must be Date objects.
"use strict";

const Analytics = require("@rudderstack/rudder-sdk-node");
const { settings, load, fields } = require("./scenario");

const SDK = "rudder-node";

async function main() {
  const { url, key, wrongKey } = settings();
  const client = (gzip) =>
    new Analytics(key, {
      dataPlaneUrl: url,
      flushAt: 20,
      flushInterval: 200,
      gzip,
      logLevel: "error",
      errorHandler: (error) => console.error(`${SDK}: ${error.message}`),
    });
  const zipped = client(true);
  const plain = client(false);
  const { calls, edges, big } = load(SDK);
  const send = (analytics, messages) => {
    for (const message of messages) {
      const [type, rest] = fields(message);
      analytics[type]({ ...rest, timestamp: new Date(rest.timestamp) });
    }
  };
  if (wrongKey) {
    send(zipped, calls.slice(0, 2));
    await zipped.flush();
    return;
  }
  send(zipped, calls);
  send(plain, [...edges, ...big]);
  await Promise.all([zipped.flush(), plain.flush()]);
}

main().catch((error) => {
  console.error(`${SDK}: ${error.stack || error}`);
  process.exit(1);
});
