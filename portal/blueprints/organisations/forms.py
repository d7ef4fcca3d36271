"""Forms of an organisation's own pages: its profile, its colleagues and its directory entry."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal import db
from portal.blueprints.onboarding.forms import OrganisationFields
from portal.cvr import normalise_cvr
from portal.forms import PortalForm, email_field, name_field, required, strip
from portal.labels import choices, label
from portal.models import (
    AreaOffice,
    EffortKind,
    Institution,
    Municipality,
    Organisation,
    OrganisationScope,
    Role,
)
from portal.services import onboarding

# The two roles in an organisation, as the forms name them.
ROLES = {"admin": Role.NGO_ADMIN, "member": Role.NGO_MEMBER}
ROLE_CHOICES = [("member", _l("Medarbejder")), ("admin", _l("Administrator"))]
TOO_LONG = _l("Skriv højst %(max)d tegn.")


def role_key(role: Role) -> str:
    return "admin" if role == Role.NGO_ADMIN else "member"


def _checkboxes(label_text: Any, **kwargs: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label_text,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        **kwargs,
    )


class ProfileForm(OrganisationFields):
    """The approved organisation's profile; name and CVR changes wait for the area office."""

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._organisation = organisation
        self.name.description = _l("Et nyt navn gælder først, når områdekontoret har godkendt det.")
        self.cvr.description = _l(
            "8 cifre. Et nyt CVR-nummer gælder først, når områdekontoret har godkendt det."
        )
        self.municipality_id.description = _l(
            "Kommunen afgør, hvilket områdekontor der er jeres kontakt."
        )
        municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name))
        self.municipality_id.choices = [
            ("", _l("Vælg")),
            *((str(m.id), m.name) for m in municipalities),
        ]
        self.scope.choices = choices(OrganisationScope)

    @classmethod
    def of(cls, organisation: Organisation) -> ProfileForm:
        """The form filled in with the organisation's current (approved) details."""
        return cls(
            organisation,
            data={
                "name": organisation.name,
                "cvr": organisation.cvr,
                "address": organisation.address,
                "postal_code": organisation.postal_code,
                "city": organisation.city,
                "municipality_id": str(organisation.municipality_id),
                "scope": organisation.scope.value,
                "website": organisation.website,
                "purpose": organisation.purpose,
                "cooperation_intent": organisation.cooperation_intent,
            },
        )

    def validate_cvr(self, field: StringField) -> None:
        cvr = normalise_cvr(field.data or "")
        if cvr == self._organisation.cvr:
            return
        problem = onboarding.cvr_problem(cvr, excluding=self._organisation.id)
        if problem:
            raise ValidationError(str(problem))


class InviteColleagueForm(PortalForm):
    name = name_field(_l("Navn"), missing=_l("Skriv kollegaens navn."), own=False)
    email = email_field(missing=_l("Skriv kollegaens e-mailadresse."), own=False)
    role = RadioField(
        _l("Rolle"),
        choices=ROLE_CHOICES,
        default="member",
        validators=[required(_l("Vælg en rolle."))],
        description=_l(
            "En medarbejder kan registrere frivillige og foreslå aktiviteter. En administrator kan desuden ændre profilen og invitere og fjerne kolleger."
        ),
    )


class MemberRoleForm(PortalForm):
    """One button per person: make them admin, or make them member."""

    role = SelectField(
        _l("Rolle"), choices=ROLE_CHOICES, validators=[required(_l("Vælg en rolle."))]
    )


class ConfirmForm(PortalForm):
    """A button that changes something: only the CSRF token."""


class DirectoryEntryForm(PortalForm):
    """The organisation's entry in the public directory."""

    directory_listed = BooleanField(_l("Vis organisationen i det offentlige katalog"))
    directory_summary = TextAreaField(
        _l("Hvad laver I?"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        description=_l("Et par linjer, som en kommende frivillig forstår. Højst 2000 tegn."),
        render_kw={"rows": 4},
    )
    directory_how_to_volunteer = TextAreaField(
        _l("Sådan bliver man frivillig hos jer"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        description=_l("Fx om der er et intromøde, hvad I forventer, og hvem man skriver til."),
        render_kw={"rows": 4},
    )
    directory_email = EmailField(
        _l("E-mail til kommende frivillige"),
        filters=[strip],
        validators=[
            Optional(),
            Email(
                message=_l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."),
                check_deliverability=False,
            ),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        description=_l("Skriv en e-mail, et telefonnummer eller begge dele."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    directory_phone = StringField(
        _l("Telefon til kommende frivillige"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message=TOO_LONG),
            Regexp(
                r"^\+?[0-9][0-9 ()-]{6,}$",
                message=_l("Skriv et telefonnummer, fx 12 34 56 78."),
            ),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    effort_kinds = _checkboxes(
        _l("Hvilke slags indsatser har I?"),
        validators=[Optional()],
        description=_l("Vælg alle, der passer. Man kan filtrere på dem i kataloget."),
    )
    institution_ids = _checkboxes(
        _l("Hvilke institutioner arbejder I i?"),
        validators=[Optional()],
        description=_l("Vælg de fængsler, arresthuse, pensioner og afdelinger, hvor I er aktive."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.effort_kinds.choices = choices(EffortKind)
        institutions = db.session.scalars(
            select(Institution)
            .join(Institution.area_office)
            .where(Institution.active)
            .order_by(AreaOffice.name, Institution.name)
        ).all()
        self.institution_ids.choices = [
            (str(i.id), f"{i.name} ({label(i.kind)})") for i in institutions
        ]
        self._office_of = {str(i.id): i.area_office.name for i in institutions}
        # Required for a listed entry (checked in validate): no "(frivilligt)" on their labels.
        for field in (self.directory_summary, self.directory_how_to_volunteer, self.effort_kinds):
            field.flags.required = True

    @classmethod
    def of(cls, organisation: Organisation) -> DirectoryEntryForm:
        return cls(
            data={
                "directory_listed": organisation.directory_listed,
                "directory_summary": organisation.directory_summary,
                "directory_how_to_volunteer": organisation.directory_how_to_volunteer,
                "directory_email": organisation.directory_email,
                "directory_phone": organisation.directory_phone,
                "effort_kinds": list(organisation.effort_kinds or []),
                "institution_ids": [str(i.id) for i in organisation.institutions],
            }
        )

    def institution_groups(self, first_office: str = "") -> list[tuple[str, list[Any]]]:
        """The institution checkboxes grouped by area office, ``first_office`` first."""
        groups: dict[str, list[Any]] = {}
        for option in self.institution_ids:
            groups.setdefault(self._office_of.get(option.data, ""), []).append(option)
        return sorted(groups.items(), key=lambda group: group[0] != first_office)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.directory_listed.data:
            return ok
        # A listed entry must tell a would-be volunteer what, how and whom to contact.
        needed = (
            (self.directory_summary, _l("Skriv, hvad I laver, før I kan vises i kataloget.")),
            (
                self.directory_how_to_volunteer,
                _l("Skriv, hvordan man bliver frivillig hos jer, før I kan vises i kataloget."),
            ),
            (
                self.effort_kinds,
                _l("Vælg mindst én slags indsats, før I kan vises i kataloget."),
            ),
        )
        for field, message in needed:
            if not field.data and not field.errors:
                field.errors = [message]
                ok = False
        if not self.directory_email.data and not self.directory_phone.data:
            if not self.directory_email.errors:
                self.directory_email.errors = [
                    _l("Skriv en e-mail eller et telefonnummer, så frivillige kan kontakte jer.")
                ]
            ok = False
        return ok

    def values(self) -> dict[str, Any]:
        return {
            "directory_listed": bool(self.directory_listed.data),
            "directory_summary": self.directory_summary.data or "",
            "directory_how_to_volunteer": self.directory_how_to_volunteer.data or "",
            "directory_email": (self.directory_email.data or "").lower(),
            "directory_phone": self.directory_phone.data or "",
            "effort_kinds": [
                kind.value for kind in EffortKind if kind.value in (self.effort_kinds.data or [])
            ],
        }

    def institution_uuids(self) -> list[uuid.UUID]:
        return [uuid.UUID(value) for value in self.institution_ids.data or []]
