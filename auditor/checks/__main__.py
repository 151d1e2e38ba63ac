"""``python -m auditor.checks``: write the registry into ``auditor/schema/findings.schema.json`` (check enum,
severities, typed evidence) and print the README's check table. Run it after adding or changing a check."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.checks import apply_to_schema, readme_table

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "findings.schema.json"

if __name__ == "__main__":
    document = apply_to_schema(json.loads(SCHEMA.read_text("utf-8")))
    SCHEMA.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {SCHEMA}\n\n{readme_table()}")
