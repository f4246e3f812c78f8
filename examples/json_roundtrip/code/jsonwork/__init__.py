"""Round-trips a JSON document: json's encoder and decoder hold the GIL throughout."""

import json


def make_input(payload_bytes: int, index: int) -> dict:
    """A document of about ``payload_bytes`` of JSON: records of mixed types."""
    records = max(1, payload_bytes // 80)
    return {
        "task": index,
        "records": [
            {"id": i, "name": f"item-{index}-{i}", "price": i * 0.25, "tags": ["a", "b", str(i % 7)], "ok": i % 2 == 0}
            for i in range(records)
        ],
    }


def roundtrip(document: dict) -> int:
    """Encode and decode the document ten times; the decoded size proves the work was done."""
    text = ""
    for _ in range(10):
        text = json.dumps(document)
        document = json.loads(text)
    return len(text)


def check(results) -> bool:
    return all(isinstance(size, int) and size > 0 for size in results)
