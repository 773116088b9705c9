"""The JSON Schema of the event contract, generated from the pydantic models.

``python -m schemas.jsonschema`` rewrites ``schemas/ccm-event.schema.json``;
a test fails when the committed file differs from what the models generate.
"""

import json
import sys
from pathlib import Path

from pydantic import TypeAdapter

from schemas.events import Event

SCHEMA_PATH = Path(__file__).with_name("ccm-event.schema.json")


def generate() -> str:
    schema = TypeAdapter(Event).json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ccm.invalid/schemas/ccm-event.schema.json",
        "title": "ccm event (schema_version 1)",
        "description": "Generated from schemas/events.py; do not edit by hand.",
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
