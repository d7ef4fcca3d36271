"""The admin's forms for a security level's rule profile and an institution's tightening of it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import PortalForm
from portal.labels import label
from portal.models import DECLARATION_ORDER
from portal.services.rule_admin import (
    FIELD_LABELS,
    FIELDS,
    NOTE_MAX,
    RANGES,
    items_problem,
    parse_items,
)

REQUIRED = "required"
NOT_ALLOWED = "not_allowed"


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (the forms macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        # WTForms' own message for an unknown value quotes it in English.
        if not self.validate_choice or not self.data:
            return
        offered = {str(value) for value, *_rest in self.iter_choices()}
        if any(value not in offered for value in self.data):
            raise ValidationError(_l("Vælg en af mulighederne."))


class _AlwaysAnswered:
    """Marks a radio group whose "as the level" option is always ticked as required, so it is
    rendered without "(frivilligt)" and with a proper ``required``; RadioField itself refuses
    a value that is not one of its choices."""

    field_flags = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


def _as_level_radio(field: str) -> RadioField:
    return RadioField(FIELD_LABELS[field], default="", validators=[_AlwaysAnswered()])


def _declaration_choices() -> list[tuple[str, Any]]:
    return [(kind.value, label(kind)) for kind in DECLARATION_ORDER]


def _number(field: str, unit_hint: Any, *, required: Any = None) -> IntegerField:
    low, high = RANGES[field]
    presence = InputRequired(required) if required else Optional()
    return IntegerField(
        FIELD_LABELS[field],
        description=unit_hint,
        validators=[
            presence,
            NumberRange(
                min=low,
                max=high,
                message=_l("Skriv et helt tal mellem %(low)d og %(high)d.", low=low, high=high),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )


def _valid_items(_form: Any, field: Any) -> None:
    problem = items_problem(parse_items(field.data or ""))
    if problem:
        raise ValidationError(problem)


class RuleProfileForm(PortalForm):
    """Every rule of one security level."""

    access_validity_days = _number(
        "access_validity_days",
        _l(
            "I dage (1-1830). Gælder adgang, der gives fremover; givet adgang beholder sin slutdato."
        ),
        required=_l("Skriv, hvor mange dage adgangen gælder."),
    )
    preparation_required = BooleanField(
        _l("Organisationens forberedelse af den frivillige skal være registreret")
    )
    min_notice_days = _number(
        "min_notice_days",
        _l("Dage fra et forslag sendes til aktivitetens første dato (0-365)."),
        required=_l("Skriv det mindste varsel i dage."),
    )
    max_participants = _number(
        "max_participants",
        _l("Deltagere fra organisationen ved én aktivitet (1-500)."),
        required=_l("Skriv, hvor mange der højst må deltage."),
    )
    access_required = BooleanField(
        _l("Alle deltagere skal have gyldig adgang til institutionen på aktivitetens datoer")
    )
    required_declarations = CheckboxesField(
        FIELD_LABELS["required_declarations"], choices=_declaration_choices
    )
    escort_required = BooleanField(_l("Personale skal ledsage de frivillige"))
    allowed_items = TextAreaField(
        FIELD_LABELS["allowed_items"],
        description=_l(
            "Én genstand pr. linje, højst 30 genstande på højst 100 tegn. Mobiltelefoner vælges nedenfor."
        ),
        validators=[_valid_items],
        render_kw={"rows": 6},
    )
    phones_allowed = BooleanField(_l("Mobiltelefoner må medbringes"))
    child_certificate_required = BooleanField(
        _l("Børneattest kræves, når børn under 15 år deltager")
    )
    seen = HiddenField()

    @classmethod
    def from_values(cls, values: dict[str, Any], seen: str) -> RuleProfileForm:
        """An unbound form showing ``values`` (see ``rule_admin.profile_values``)."""
        return cls(
            formdata=None,
            data={**values, "allowed_items": "\n".join(values["allowed_items"]), "seen": seen},
        )

    def values(self) -> dict[str, Any]:
        """The values for ``rule_admin.save_profile``."""
        found = {field: getattr(self, field).data for field in FIELDS}
        found["required_declarations"] = list(self.required_declarations.data or ())
        found["allowed_items"] = parse_items(self.allowed_items.data or "")
        return found


class InstitutionRulesForm(PortalForm):
    """An institution's own values; blank (or "som niveauet") keeps the level's."""

    access_validity_days = _number("access_validity_days", None)
    min_notice_days = _number("min_notice_days", None)
    max_participants = _number("max_participants", None)
    preparation_required = RadioField(FIELD_LABELS["preparation_required"], default="")
    access_required = RadioField(FIELD_LABELS["access_required"], default="")
    escort_required = RadioField(FIELD_LABELS["escort_required"], default="")
    child_certificate_required = RadioField(FIELD_LABELS["child_certificate_required"], default="")
    required_declarations = CheckboxesField(
        FIELD_LABELS["required_declarations"], choices=_declaration_choices
    )
    # Only the level's items are offered; anything else posted is refused by the service,
    # with a message naming the item, rather than WTForms' anonymous "not a valid choice".
    allowed_items = CheckboxesField(FIELD_LABELS["allowed_items"], validate_choice=False)
    phones_allowed = _as_level_radio("phones_allowed")
    note = TextAreaField(
        _l("Note om institutionens egne regler"),
        description=_l(
            "Fx hvorfor institutionen strammer reglerne. Vises kun for administratorer."
        ),
        validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw={"rows": 3},
    )
    seen = HiddenField()

    REQUIREMENTS = (
        "preparation_required",
        "access_required",
        "escort_required",
        "child_certificate_required",
    )

    def offer(self, level: dict[str, Any]) -> InstitutionRulesForm:
        """Set the choices that depend on the level's values (``rule_admin.profile_values``)."""
        for name in self.REQUIREMENTS:
            as_level = _l("kræves") if level[name] else _l("kræves ikke")
            getattr(self, name).choices = [
                ("", _l("Som niveauet (%(value)s)", value=as_level)),
                (REQUIRED, _l("Kræves")),
            ]
        phones = _l("tilladt") if level["phones_allowed"] else _l("ikke tilladt")
        self.phones_allowed.choices = [
            ("", _l("Som niveauet (%(value)s)", value=phones)),
            (NOT_ALLOWED, _l("Ikke tilladt")),
        ]
        self.allowed_items.choices = [(item, item) for item in level["allowed_items"]]
        return self

    @classmethod
    def from_values(
        cls, own: dict[str, Any], level: dict[str, Any], seen: str
    ) -> InstitutionRulesForm:
        """An unbound form showing the institution's values (``rule_admin.own_values``): the
        level's declarations ticked besides its own, and all the level's items when it keeps them."""
        data: dict[str, Any] = {
            "access_validity_days": own["access_validity_days"],
            "min_notice_days": own["min_notice_days"],
            "max_participants": own["max_participants"],
            "required_declarations": [
                *level["required_declarations"],
                *(
                    k
                    for k in own["required_declarations"]
                    if k not in level["required_declarations"]
                ),
            ],
            "allowed_items": (
                level["allowed_items"] if own["allowed_items"] is None else own["allowed_items"]
            ),
            "phones_allowed": NOT_ALLOWED if own["phones_allowed"] is False else "",
            "note": own["note"],
            "seen": seen,
        }
        for name in cls.REQUIREMENTS:
            data[name] = REQUIRED if own[name] else ""
        return cls(formdata=None, data=data).offer(level)

    def values(self) -> dict[str, Any]:
        """The values for ``rule_admin.save_institution_rules``."""
        found: dict[str, Any] = {
            "access_validity_days": self.access_validity_days.data,
            "min_notice_days": self.min_notice_days.data,
            "max_participants": self.max_participants.data,
            "required_declarations": list(self.required_declarations.data or ()),
            "allowed_items": list(self.allowed_items.data or ()),
            "phones_allowed": False if self.phones_allowed.data == NOT_ALLOWED else None,
            "note": self.note.data or "",
        }
        for name in self.REQUIREMENTS:
            found[name] = True if getattr(self, name).data == REQUIRED else None
        return found
