"""Shared form pieces: validators and field factories with Danish messages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from portal.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def required(message: Any) -> DataRequired:
    return DataRequired(message=message)


def email_field(label: Any = None) -> EmailField:
    return EmailField(
        label or _l("E-mail"),
        validators=[
            required(_l("Skriv din e-mailadresse.")),
            Email(
                message=_l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."),
                check_deliverability=False,
            ),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def name_field(label: Any = None) -> StringField:
    return StringField(
        label or _l("Fulde navn"),
        validators=[
            required(_l("Skriv dit navn.")),
            Length(max=200, message=_l("Navnet er for langt.")),
        ],
        render_kw={"autocomplete": "name"},
    )


def new_password_field(label: Any = None) -> PasswordField:
    return PasswordField(
        label or _l("Ny adgangskode"),
        validators=[
            required(_l("Vælg en adgangskode.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Adgangskoden skal være mellem %(min)d og %(max)d tegn.",
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
        description=_l(
            "Mindst %(n)d tegn. En sætning af flere ord er let at huske og svær at gætte.",
            n=MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password"},
    )
