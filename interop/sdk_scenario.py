"""The shared scenario (scenario.json) for the Python programs.

segment-analytics-python and rudder-sdk-python share one API (RudderStack's is a fork), so both
programs call `run`: the six calls through a gzip client, the edge cases and the large batch
through a plain one, then flush.
"""

import json
import os
import sys
from datetime import datetime
from pathlib import Path


def settings():
    """`python PROGRAM [URL [KEY]]`, or COLLECTOR_URL and WRITE_KEY."""
    args = sys.argv[1:] + [None, None]
    url = args[0] or os.environ.get("COLLECTOR_URL")
    key = args[1] or os.environ.get("WRITE_KEY")
    if not url or not key:
        sys.exit(f"usage: python {Path(sys.argv[0]).name} COLLECTOR_URL WRITE_KEY (or set them in the environment)")
    return url, key, os.environ.get("INTEROP_MODE") == "wrong-key"


def load(sdk):
    scenario = json.loads((Path(__file__).parent / "scenario.json").read_text(encoding="utf-8"))

    def expand(message):
        out = {k: v for k, v in message.items() if k not in ("id", "padding", "count")}
        out["messageId"] = f"{sdk}-{message['id']}"
        out["timestamp"] = message.get("timestamp") or scenario["defaultTimestamp"]
        if message.get("padding"):
            out["properties"] = {**message.get("properties", {}), "notes": "x" * message["padding"]}
        return out

    big = scenario["bigBatch"]
    return (
        [expand(m) for m in scenario["calls"]],
        [expand(m) for m in scenario["edges"]],
        [expand({**big, "id": f"{big['id']}-{n}"}) for n in range(big["count"])],
    )


def send(client, message):
    """One call; the SDKs take a datetime, so the scenario's ISO-8601 text is parsed first."""
    common = {
        "timestamp": datetime.fromisoformat(message["timestamp"]),
        "message_id": message["messageId"],
    }
    kind = message["type"]
    if kind == "identify":
        client.identify(user_id=message["userId"], traits=message.get("traits"), **common)
    elif kind == "track":
        client.track(user_id=message["userId"], event=message["event"], properties=message.get("properties"), **common)
    elif kind in ("page", "screen"):
        getattr(client, kind)(
            user_id=message["userId"],
            category=message.get("category"),
            name=message.get("name"),
            properties=message.get("properties"),
            **common,
        )
    elif kind == "group":
        client.group(user_id=message["userId"], group_id=message["groupId"], traits=message.get("traits"), **common)
    elif kind == "alias":
        client.alias(previous_id=message["previousId"], user_id=message["userId"], **common)
    else:
        raise ValueError(f"unknown call {kind}")


def run(sdk, client_class):
    url, key, wrong_key = settings()

    def on_error(error, batch):
        print(f"{sdk}: {error} ({len(batch)} messages)", file=sys.stderr)

    def client(gzip):
        # The SDK's own retry policy: a wrong key must be given up without retrying it.
        return client_class(key, host=url, gzip=gzip, on_error=on_error, upload_interval=0.2)

    zipped, plain = client(True), client(False)
    calls, edges, big = load(sdk)
    batches = [(zipped, calls[:2])] if wrong_key else [(zipped, calls), (plain, edges + big)]
    for target, messages in batches:
        for message in messages:
            try:
                send(target, message)
            except RuntimeError as error:  # over the SDK's own size limit: never sent
                print(f"{sdk}: {message['messageId']} not sent: {str(error)[:120]}", file=sys.stderr)
    for target in (zipped, plain):
        target.flush()
        target.join()
