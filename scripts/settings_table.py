"""Rewrite the settings table in README.md from portal/config.py (run after adding a setting)."""

from __future__ import annotations

import re
from pathlib import Path

from portal.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def table() -> str:
    rows = ["| Setting | Default | What it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default != "" else "(empty)"
        rows.append(f"| `PORTAL_{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- settings:start[^>]*-->\n).*?(<!-- settings:end -->)", re.S)
    README.write_text(
        pattern.sub(lambda m: m.group(1) + table() + "\n" + m.group(2), text), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
