from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Email, Length, Optional

from portal import db
from portal.forms import PortalForm, email_field, name_field, required
from portal.labels import choices
from portal.models import (
    AreaOffice,
    Institution,
    Organisation,
    Role,
)

NONE_CHOICE = ("", _l("Vælg"))


def _options(model: Any, label_attr: str = "name") -> list[tuple[str, Any]]:
    rows = db.session.scalars(select(model).order_by(getattr(model, label_attr)))
    return [NONE_CHOICE, *((str(row.id), getattr(row, label_attr)) for row in rows)]


class _InviteeFields:
    # Declared before RoleScopeForm so WTForms puts these fields first in InviteForm.
    name = name_field(_l("Navn"), missing=_l("Skriv personens navn."), own=False)
    email = email_field(missing=_l("Skriv personens e-mailadresse."), own=False)


class RoleScopeForm(PortalForm):
    """A role and, depending on the role, the organisation, area office or institution."""

    role = SelectField(_l("Rolle"), validators=[required(_l("Vælg en rolle."))])
    organisation_id = SelectField(
        _l("Organisation"),
        default="",
        description=_l("Kun for roller i en organisation og frivillige."),
    )
    area_office_id = SelectField(
        _l("Områdekontor"), default="", description=_l("Kun for sagsbehandlere.")
    )
    institution_id = SelectField(
        _l("Institution"), default="", description=_l("Kun for kontaktpersoner på en institution.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [NONE_CHOICE, *choices(Role)]
        self.organisation_id.choices = _options(Organisation)
        self.area_office_id.choices = _options(AreaOffice)
        self.institution_id.choices = _options(Institution)

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        needed = Role(self.role.data).scope
        messages = {
            "organisation_id": _l("Vælg den organisation, rollen gælder for."),
            "area_office_id": _l("Vælg det områdekontor, sagsbehandleren hører til."),
            "institution_id": _l("Vælg den institution, kontaktpersonen hører til."),
        }
        ok = True
        for name, message in messages.items():
            field = getattr(self, name)
            if name == needed and not field.data:
                field.errors = [message]
                ok = False
            elif name != needed and field.data:
                field.errors = [_l("Rollen gælder ikke for et valg her. Lad feltet stå tomt.")]
                ok = False
        return ok

    def scope(self) -> dict[str, Any]:
        needed = Role(self.role.data).scope
        return {needed: uuid.UUID(getattr(self, needed).data)} if needed else {}


class InviteForm(_InviteeFields, RoleScopeForm):
    """Whom to invite, then the role; the error summary follows this order."""


class UserSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Søg efter navn eller e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Rolle"), default="", validators=[Optional()])
    status = SelectField(
        _l("Status"),
        default="",
        choices=[("", _l("Alle")), ("active", _l("Aktive")), ("inactive", _l("Deaktiverede"))],
        validators=[Optional()],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Alle roller")), *choices(Role)]


class MunicipalityForm(PortalForm):
    area_office_id = SelectField(
        _l("Områdekontor"), validators=[required(_l("Vælg områdekontor."))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area_office_id.choices = _options(AreaOffice)


class AreaOfficeForm(PortalForm):
    name = StringField(
        _l("Navn"), validators=[required(_l("Skriv områdekontorets navn.")), Length(max=200)]
    )
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(message=_l("Skriv en gyldig e-mailadresse."), check_deliverability=False),
            Length(max=254),
        ],
    )
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=300)])


class ConfirmForm(PortalForm):
    """A button that changes state: only the CSRF token."""
