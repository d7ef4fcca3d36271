"""The search of the institution list (a GET form: it changes nothing)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from portal.forms import PortalForm, strip
from portal.services import institution_info


class InstitutionSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Søg efter navn eller by"),
        filters=[strip],
        validators=[Optional(), Length(max=100, message=_l("Skriv højst %(max)d tegn."))],
    )
    omraade = SelectField(_l("Områdekontor"), default="", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.omraade.choices = [
            ("", _l("Alle områdekontorer")),
            *((office.code, office.name) for office in institution_info.area_offices()),
        ]

    def filters(self) -> dict[str, str]:
        """The valid search values by name (an invalid one is left out, and its error shown)."""
        return {
            name: getattr(self, name).data
            for name in ("q", "omraade")
            if getattr(self, name).data and not getattr(self, name).errors
        }
