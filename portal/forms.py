"""Shared form pieces: validators and field factories with Danish messages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from portal.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

# WTForms ships no Danish catalog: its built-in messages are translated here, in ours.
WTFORMS_MESSAGES: dict[str, Any] = {
    "Not a valid choice.": _l("Vælg en af mulighederne."),
    "This field is required.": _l("Feltet skal udfyldes."),
    "Invalid email address.": _l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."),
    "Invalid input.": _l("Det indtastede er ikke gyldigt."),
    "Not a valid integer value.": _l("Skriv et helt tal."),
    "Not a valid decimal value.": _l("Skriv et tal."),
    "Not a valid float value.": _l("Skriv et tal."),
    "Not a valid date value.": _l("Skriv en gyldig dato."),
    "Not a valid datetime value.": _l("Skriv en gyldig dato og et gyldigt tidspunkt."),
    "Field must be equal to %(other_name)s.": _l("Felterne skal være ens."),
    "Invalid Choice: could not coerce.": _l("Vælg en af mulighederne."),
    "'%(value)s' is not a valid choice for this field.": _l("Vælg blandt mulighederne på listen."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l(
        "Vælg blandt mulighederne på listen."
    ),
    "Not a valid time value.": _l("Skriv et gyldigt tidspunkt, fx 18:00."),
    "Number must be at least %(min)s.": _l("Tallet skal være mindst %(min)s."),
    "Number must be at most %(max)s.": _l("Tallet må højst være %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l(
        "Tallet skal være mellem %(min)s og %(max)s."
    ),
    "Invalid UUID.": _l("Det indtastede er ikke gyldigt."),
    "Invalid URL.": _l("Skriv en gyldig webadresse, fx https://eksempel.dk."),
    "Invalid value, must be one of: %(values)s.": _l("Vælg en af mulighederne."),
    "Field must be at least %(min)d character long.": _l("Skriv mindst %(min)d tegn."),
    "Field cannot be longer than %(max)d character.": _l("Skriv højst %(max)d tegn."),
    "Field must be exactly %(max)d character long.": _l("Skriv præcis %(max)d tegn."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Skriv mellem %(min)d og %(max)d tegn."
    ),
}


class _DanishWTFormsTranslations:
    def gettext(self, string: str) -> str:
        found = WTFORMS_MESSAGES.get(string)
        return str(found) if found is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = WTFORMS_MESSAGES.get(singular)
        if found is not None:
            return str(found)
        return singular if n == 1 else plural


class PortalForm(FlaskForm):
    """The base of every form: Flask-WTF's CSRF, and WTForms' own messages in Danish."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _DanishWTFormsTranslations()


def required(message: Any) -> DataRequired:
    return DataRequired(message=message)


def strip(value: str | None) -> str | None:
    """Phones often add a space after an autocompleted address."""
    return value.strip() if isinstance(value, str) else value


def email_field(label: Any = None, *, missing: Any = None, own: bool = True) -> EmailField:
    """An e-mail field; ``own=False`` when someone types another person's address."""
    return EmailField(
        label or _l("E-mail"),
        filters=[strip],
        validators=[
            required(missing or _l("Skriv din e-mailadresse.")),
            Email(
                message=_l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."),
                check_deliverability=False,
            ),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        render_kw={"autocomplete": "email" if own else "off", "spellcheck": "false"},
    )


def name_field(label: Any = None, *, missing: Any = None, own: bool = True) -> StringField:
    """A name field; ``own=False`` when someone types another person's name."""
    return StringField(
        label or _l("Fulde navn"),
        filters=[strip],
        validators=[
            required(missing or _l("Skriv dit navn.")),
            Length(max=200, message=_l("Navnet er for langt.")),
        ],
        render_kw={"autocomplete": "name" if own else "off"},
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
