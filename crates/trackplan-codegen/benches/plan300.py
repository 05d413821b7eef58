#!/usr/bin/env python3
"""Write a deterministic 300-event tracking plan (Segment Public API shape) to stdout.

Each event mixes what real plans hold: required and optional strings, integers with bounds,
numbers, booleans, a string enum, a pattern, a date-time, a nested object and an array of
objects, so the generated code exercises every emitter path.
"""
import json
import sys

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 300
OBJECTS = ["Order", "Product", "Cart", "Checkout", "Coupon", "Promotion", "Wishlist", "Review",
           "Account", "Invite", "Report", "Dashboard", "Video", "Email", "Trial"]
ACTIONS = ["Viewed", "Clicked", "Completed", "Started", "Updated", "Removed", "Added", "Shared",
           "Denied", "Applied", "Opened", "Closed", "Submitted", "Failed", "Cancelled",
           "Exported", "Renamed", "Archived", "Restored", "Downgraded"]


def event(i):
    obj = OBJECTS[i % len(OBJECTS)]
    action = ACTIONS[(i // len(OBJECTS)) % len(ACTIONS)]
    name = f"{obj} {action}" if i < len(OBJECTS) * len(ACTIONS) else f"{obj} {action} {i}"
    payload = {
        "type": "object",
        "properties": {
            f"{obj.lower()}_id": {"type": "string", "description": f"The {obj.lower()}'s id."},
            "source": {"type": "string", "enum": ["web", "ios", "android", "server"]},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
            "value": {"type": "number", "minimum": 0},
            "is_test": {"type": "boolean"},
            "coupon": {"type": ["string", "null"], "pattern": "^[A-Z0-9]{4,12}$"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "referrer": {
                "type": "object",
                "properties": {"url": {"type": "string"}, "campaign": {"type": "string"}},
                "required": ["url"],
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "price": {"type": "number", "minimum": 0},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["sku"],
                },
            },
        },
        "required": [f"{obj.lower()}_id", "source", "quantity"],
    }
    return {
        "key": name,
        "type": "TRACK",
        "version": 1 + i % 3,
        "description": f"Benchmark event {i}.",
        "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"context": {}, "traits": {"type": "object"}, "properties": payload},
            "required": ["properties"],
        },
    }


plan = {"id": "tp_bench", "name": "Bench Plan 300", "rules": [event(i) for i in range(COUNT)]}
json.dump(plan, sys.stdout, indent=1)
sys.stdout.write("\n")
