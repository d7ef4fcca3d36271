"""The volunteer's forms: date of birth, account, CPR number, the declarations."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo

from portal.forms import PortalForm, new_password_field, required, strip

if TYPE_CHECKING:
    from portal.services.signing import Pending


class BirthDateForm(PortalForm):
    """The date of birth in three fields (day, month, year), as DKFDS's date input."""

    # The day field carries the error for the whole date; its label names the date in the
    # error summary (the visible labels Dag/Måned/År are in the template).
    day = StringField(_l("Fødselsdato"), filters=[strip])
    month = StringField(_l("Måned"), filters=[strip])
    year = StringField(_l("År"), filters=[strip])

    birth_date: date | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        parts = (self.day.data or "", self.month.data or "", self.year.data or "")
        if not all(parts):
            self.day.errors = [str(_l("Skriv din fødselsdato med dag, måned og år."))]
            return False
        try:
            if not all(part.isascii() and part.isdigit() for part in parts):
                raise ValueError
            day, month, year = (int(part) for part in parts)
            if not 1900 <= year <= 2100:
                raise ValueError
            self.birth_date = date(year, month, day)
        except ValueError:
            self.day.errors = [
                str(_l("Skriv en rigtig dato med tal, fx 24 for dag, 12 for måned og 1990 for år."))
            ]
            return False
        return True


class ProviderForm(PortalForm):
    """Which OpenID Connect provider to prove identity with (one button per provider)."""

    provider = StringField(validators=[required(_l("Vælg, hvordan du vil bekræfte, hvem du er."))])


class AccountForm(PortalForm):
    password = new_password_field(_l("Vælg en adgangskode"))
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[
            required(_l("Gentag adgangskoden.")),
            EqualTo("password", message=_l("De to adgangskoder er ikke ens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ContinueForm(PortalForm):
    """A logged-in volunteer confirms that the link should be attached to their account."""


class BlankStringField(StringField):
    """A text field that never shows what was typed (the CPR number is not echoed back)."""

    def _value(self) -> str:
        return ""


class CprForm(PortalForm):
    cpr = BlankStringField(
        _l("CPR-nummer"),
        validators=[required(_l("Skriv dit CPR-nummer."))],
        description=_l("10 cifre, fx 010190-1234. Bindestregen kan du udelade."),
        render_kw={
            "autocomplete": "off",
            "inputmode": "numeric",
            "spellcheck": "false",
            "maxlength": "14",
        },
    )


class DeclarationsFormBase(PortalForm):
    shown = HiddenField()


def accept_field_name(item: Pending) -> str:
    return f"accept_{item.version.kind.value}"


def declarations_form(items: list[Pending], **kwargs: Any) -> DeclarationsFormBase:
    """One required "I have read and accept" checkbox per declaration, and the hidden digest of
    what was shown."""

    class DeclarationsForm(DeclarationsFormBase):
        pass

    for item in items:
        setattr(
            DeclarationsForm,
            accept_field_name(item),
            BooleanField(
                _l("Jeg har læst og accepterer »%(title)s«", title=item.title),
                validators=[
                    required(
                        _l(
                            "Sæt kryds for at bekræfte, at du har læst og accepterer »%(title)s«.",
                            title=item.title,
                        )
                    )
                ],
            ),
        )
    return DeclarationsForm(**kwargs)
