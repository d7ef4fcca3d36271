"""Settings: defaults that run, and a README that lists every one of them."""

from __future__ import annotations

from pathlib import Path

from portal.config import SETTINGS, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`PORTAL_{s.name}`" not in text]
    assert not missing, f"add these settings to the README's configuration table: {missing}"


def test_settings_come_from_the_environment() -> None:
    settings = load_settings(
        {"PORTAL_SMTP_PORT": "2525", "PORTAL_SMTP_STARTTLS": "false", "PORTAL_PORTAL_NAME": ""}
    )
    assert settings["SMTP_PORT"] == 2525
    assert settings["SMTP_STARTTLS"] is False
    assert settings["PORTAL_NAME"] == "Partnerportalen"  # empty means the default
