"""The admin's form for a new version of a declaration text."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from portal.forms import PortalForm, required, strip
from portal.models import DeclarationVersion
from portal.services.declaration_texts import placeholder_problem

TITLE_MAX = 200
TEXT_MAX = 20000
NOTE_MAX = 2000


def _fillable(_form: Any, field: Any) -> None:
    problem = placeholder_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def _no_braces(_form: Any, field: Any) -> None:
    if "{" in (field.data or "") or "}" in (field.data or ""):
        raise ValidationError(_l("Titlen kan ikke indeholde pladsholdere eller tuborgklammer."))


class DeclarationVersionForm(PortalForm):
    """Titles and texts in Danish and English, what changed, and the version it builds on."""

    title_da = StringField(
        _l("Titel på dansk"),
        filters=[strip],
        validators=[required(_l("Skriv titlen på dansk.")), Length(max=TITLE_MAX), _no_braces],
    )
    text_da = TextAreaField(
        _l("Tekst på dansk"),
        validators=[required(_l("Skriv teksten på dansk.")), Length(max=TEXT_MAX), _fillable],
        render_kw={"rows": 16},
    )
    title_en = StringField(
        _l("Titel på engelsk"),
        filters=[strip],
        validators=[required(_l("Skriv titlen på engelsk.")), Length(max=TITLE_MAX), _no_braces],
    )
    text_en = TextAreaField(
        _l("Tekst på engelsk"),
        validators=[required(_l("Skriv teksten på engelsk.")), Length(max=TEXT_MAX), _fillable],
        render_kw={"rows": 16},
    )
    change_note = TextAreaField(
        _l("Hvad er ændret?"),
        description=_l(
            "Kort og konkret. Noten står i e-mailen til de frivillige og i versionshistorikken."
        ),
        validators=[required(_l("Skriv kort, hvad der er ændret.")), Length(max=NOTE_MAX)],
        render_kw={"rows": 3},
    )
    acknowledge = BooleanField(
        _l(
            "Jeg ved, at alle frivillige, der har underskrevet den tidligere version, skal underskrive igen"
        )
    )
    based_on = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler versionsnummeret. Genindlæs siden."))],
    )
    preview = SubmitField(_l("Vis eksempel"))
    publish = SubmitField(_l("Udgiv den nye version"))

    @classmethod
    def from_version(cls, version: DeclarationVersion | None) -> DeclarationVersionForm:
        """An empty form prefilled with the current version's titles and texts (not bound)."""
        if version is None:
            return cls(formdata=None, based_on=0)
        return cls(
            formdata=None,
            title_da=version.title_da,
            title_en=version.title_en,
            text_da=version.text_da,
            text_en=version.text_en,
            based_on=version.version,
        )

    def publishing(self) -> bool:
        return bool(self.publish.data)
