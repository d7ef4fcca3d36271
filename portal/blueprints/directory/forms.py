"""The search of the public directory (a GET form: it changes nothing)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from portal import db
from portal.forms import PortalForm, strip
from portal.labels import choices
from portal.models import EffortKind, Municipality


class DirectorySearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Søg efter navn eller emne"),
        filters=[strip],
        validators=[Optional(), Length(max=100, message=_l("Skriv højst %(max)d tegn."))],
    )
    region = SelectField(_l("Region"), default="", validators=[Optional()])
    effort = SelectField(_l("Slags indsats"), default="", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = db.session.scalars(
            select(Municipality.region).distinct().order_by(Municipality.region)
        )
        self.region.choices = [("", _l("Alle regioner")), *((r, r) for r in regions)]
        self.effort.choices = [("", _l("Alle slags indsatser")), *choices(EffortKind)]

    def filters(self) -> dict[str, str]:
        """The valid search values by name (an invalid one is left out, and its error shown)."""
        return {
            name: getattr(self, name).data
            for name in ("q", "region", "effort")
            if getattr(self, name).data and not getattr(self, name).errors
        }
