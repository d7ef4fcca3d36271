"""The audit log's filter (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from portal.form_fields import DayField
from portal.forms import PortalForm, strip
from portal.services import audit_search
from portal.services.audit_search import AuditFilter


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False

    person = StringField(
        _l("Person"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("Skriv højst %(max)d tegn."))],
        description=_l(
            "Navn eller e-mail på en bruger eller frivillig. Viser både det, personen selv har gjort, og det, der er gjort med personens oplysninger."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    action = SelectField(_l("Handling"), default="", validators=[Optional()])
    object_type = SelectField(_l("Objekttype"), default="", validators=[Optional()])
    object_id = StringField(
        _l("Objektets id"),
        filters=[strip],
        validators=[Optional(), Length(max=64, message=_l("Et id er højst %(max)d tegn."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    date_from = DayField(_l("Fra og med dato"), validators=[Optional()])
    date_to = DayField(_l("Til og med dato"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [
            ("", _l("Alle handlinger")),
            *audit_search.action_choices(audit_search.logged_actions()),
        ]
        self.object_type.choices = [
            ("", _l("Alle typer")),
            *audit_search.object_type_choices(audit_search.logged_object_types()),
        ]

    def validate_date_to(self, field: DayField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Til-datoen skal være samme dag som fra-datoen eller senere."))

    def audit_filter(self) -> AuditFilter:
        """The filter the (validated) form describes."""
        return AuditFilter(
            person=self.person.data or "",
            object_type=self.object_type.data or "",
            object_id=self.object_id.data or "",
            action=self.action.data or "",
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
