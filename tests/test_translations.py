"""Every user-facing string has an English translation with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

PROJECT = Path(__file__).resolve().parent.parent
CATALOG = PROJECT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _strings(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return (message_id,) if isinstance(message_id, str) else tuple(message_id)


def test_every_string_in_the_code_is_translated_to_english(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=PROJECT,
        check=True,
    )
    with pot.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    with CATALOG.open("rb") as source:
        english = {m.id: m.string for m in read_po(source) if m.id}
    missing = sorted(
        str(i) for i in extracted if not english.get(i) or not all(_strings(english[i]))
    )
    assert not missing, f"run `make translations` and translate: {missing[:10]}"


def test_translations_keep_the_placeholders() -> None:
    with CATALOG.open("rb") as source:
        for message in read_po(source):
            if not message.id:
                continue
            wanted = set(PLACEHOLDER.findall(" ".join(_strings(message.id))))
            for text in _strings(message.string):
                if text:
                    assert set(PLACEHOLDER.findall(text)) <= wanted | {"num"}, message.id
