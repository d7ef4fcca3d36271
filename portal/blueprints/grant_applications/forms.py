"""The application form (content, institutions, period, budget), the attachment upload and the
submit form. The budget's amounts are typed in kroner the Danish way and become øre here
(``portal.money``); the arithmetic is the service's (``grant_applications.totals``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.form_fields import DayField, HiddenChoiceField, MultiCheckboxField, unique_ids
from portal.forms import PortalForm, required, strip
from portal.labels import lazy_label
from portal.models import BudgetCategory, GrantApplication, GrantRound, Institution, ProjectKind
from portal.money import MoneyError, kroner_input, parse_decimal, parse_kroner
from portal.services.grant_applications import Content
from portal.services.grant_budget import MAX_BUDGET_LINES, LineValues, values_of
from portal.services.grant_receipts import (
    BUDGET_CATEGORIES,
    OTHER_KIND,
    kind_label,
)

TEXT_MAX = 10000
TOO_LONG = _l("Skriv højst %(max)d tegn.")


def _money(field: Any) -> int:
    text = (field.data or "").strip()
    return parse_kroner(text) if text else 0


class BudgetLineForm(Form):
    """One budget line. A line left wholly empty is dropped; a started one needs units and
    a unit price."""

    category = SelectField(
        _l("Kategori"),
        choices=list(BUDGET_CATEGORIES.items()),
        default=BudgetCategory.ACTIVITIES.value,
    )
    text = StringField(_l("Tekst"), filters=[strip], validators=[Length(max=300, message=TOO_LONG)])
    units = StringField(_l("Antal"), filters=[strip], render_kw={"inputmode": "decimal"})
    unit_price = StringField(
        _l("Pris pr. enhed (kr.)"), filters=[strip], render_kw={"inputmode": "decimal"}
    )
    own_financing = StringField(
        _l("Egenfinansiering (kr.)"), filters=[strip], render_kw={"inputmode": "decimal"}
    )
    other_financing = StringField(
        _l("Anden medfinansiering (kr.)"), filters=[strip], render_kw={"inputmode": "decimal"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A started line needs these (the form says so; an empty line is simply left out).
        for name in ("category", "text", "units", "unit_price"):
            self[name].flags.required = True

    def is_empty(self) -> bool:
        return (
            not any(
                (f.data or "").strip()
                for f in (self.text, self.units, self.unit_price, self.own_financing)
            )
            and not (self.other_financing.data or "").strip()
        )

    def validate_units(self, field: Any) -> None:
        if self.is_empty():
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Skriv antal, fx 1 eller 12,5."))
        try:
            parse_decimal(field.data)
        except MoneyError as error:
            raise ValidationError(error.message) from None

    def validate_unit_price(self, field: Any) -> None:
        if self.is_empty():
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Skriv prisen pr. enhed i kroner."))
        self._amount(field)

    def validate_own_financing(self, field: Any) -> None:
        self._amount(field)

    def validate_other_financing(self, field: Any) -> None:
        self._amount(field)

    @staticmethod
    def _amount(field: Any) -> None:
        try:
            _money(field)
        except MoneyError as error:
            raise ValidationError(error.message) from None

    def values(self) -> LineValues:
        return LineValues(
            category=self.category.data or BudgetCategory.OTHER.value,
            text=self.text.data or "",
            units=parse_decimal(self.units.data),
            unit_price_ore=parse_kroner(self.unit_price.data),
            own_financing_ore=_money(self.own_financing),
            other_financing_ore=_money(self.other_financing),
        )


def line_data(line: LineValues) -> dict[str, Any]:
    return {
        "category": line.category,
        "text": line.text,
        "units": line.units_text,
        "unit_price": kroner_input(line.unit_price_ore),
        "own_financing": kroner_input(line.own_financing_ore) if line.own_financing_ore else "",
        "other_financing": kroner_input(line.other_financing_ore)
        if line.other_financing_ore
        else "",
    }


class ApplicationForm(PortalForm):
    """The draft. Nothing but the budget's numbers is required to save; what a submission
    needs is listed by ``grant_applications.problems`` on "Tjek og send"."""

    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler ansøgningens version. Genindlæs siden."))],
    )
    title = StringField(
        _l("Projektets titel"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
    )
    summary = TextAreaField(
        _l("Kort resumé"),
        filters=[strip],
        validators=[Optional(), Length(max=1500, message=TOO_LONG)],
        description=_l("Højst 1.500 tegn. Resuméet bruges i oversigter og i bedømmelsen."),
        render_kw={"rows": 3},
    )
    description = TextAreaField(
        _l("Beskrivelse af projektet"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Hvad vil I gøre, hvordan, og hvad er formålet?"),
        render_kw={"rows": 8},
    )
    target_group = TextAreaField(
        _l("Målgruppe"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Hvem er projektet for, og hvor mange forventer I at nå?"),
        render_kw={"rows": 4},
    )
    # No default: on a new draft nothing is chosen, so the organisation picks the kind
    # itself (saved without a choice, it is "Andet").
    project_kind = RadioField(
        _l("Projekttype"),
        choices=[(kind.value, lazy_label(kind)) for kind in ProjectKind],
        validators=[Optional()],
        description=_l(
            "Vælg den type, der passer bedst. Puljen bruger den til at vise, hvordan tilskuddene fordeles."
        ),
    )
    institutions = MultiCheckboxField(
        _l("Institutioner i projektet"),
        description=_l("Vælg de institutioner, projektet foregår på."),
    )
    period_start = DayField(_l("Projektet begynder"), validators=[Optional()])
    period_end = DayField(_l("Projektet slutter"), validators=[Optional()])
    volunteers_expected = IntegerField(
        _l("Antal frivillige, I regner med"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Skriv et helt tal fra 0.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    lines = FieldList(FormField(BudgetLineForm), min_entries=0, max_entries=MAX_BUDGET_LINES + 1)
    save = SubmitField(_l("Gem"))
    add_line = SubmitField(_l("Tilføj budgetlinje"))
    # The number of the line to remove (its button's value); the other lines are saved.
    remove_line = StringField()

    # Needed to send (grant_applications.problems), though a draft is saved without them.
    NEEDED_TO_SEND = (
        "title",
        "summary",
        "description",
        "target_group",
        "period_start",
        "period_end",
        "volunteers_expected",
        "project_kind",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.NEEDED_TO_SEND:
            self[name].flags.required = True

    def prepare(self, institutions: Sequence[Institution]) -> None:
        self.institutions.choices = [(str(i.id), i.name) for i in institutions]

    def validate_period_end(self, field: Any) -> None:
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_l("Projektets slutdato ligger før startdatoen."))

    def removed_index(self) -> int | None:
        raw = (self.remove_line.data or "").strip()
        return int(raw) if raw.isdigit() else None

    def content(self) -> Content:
        return Content(
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            target_group=self.target_group.data or "",
            institution_ids=[uuid.UUID(value) for value in self.institutions.data or ()],
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            volunteers_expected=self.volunteers_expected.data or 0,
            project_kind=self.project_kind.data or ProjectKind.OTHER.value,
        )

    def budget(self) -> list[LineValues]:
        """The lines to save: wholly empty ones and the one being removed are left out."""
        removed = self.removed_index()
        return [
            entry.form.values()
            for n, entry in enumerate(self.lines.entries)
            if n != removed and not entry.form.is_empty()
        ]


def form_data(application: GrantApplication) -> dict[str, Any]:
    return {
        "version": application.version,
        "title": application.title,
        "summary": application.summary,
        "description": application.description,
        "target_group": application.target_group,
        "institutions": list(application.institution_ids or ()),
        "period_start": application.period_start,
        "period_end": application.period_end,
        "volunteers_expected": application.volunteers_expected or None,
        # A draft never saved shows no choice (see ``ApplicationForm.project_kind``).
        "project_kind": application.project_kind.value if application.version > 1 else None,
        "lines": [line_data(values_of(line)) for line in application.budget_lines],
    }


class AttachmentForm(PortalForm):
    kind = SelectField(_l("Hvilket bilag er det?"), validators=[InputRequired(_l("Vælg bilaget."))])
    file = FileField(_l("Fil"), validators=[FileRequired(message=_l("Vælg en fil."))])

    def prepare(self, grant_round: GrantRound, max_mb: int, formats: str) -> None:
        kinds = [k for k in grant_round.required_attachments or () if k != OTHER_KIND]
        self.kind.choices = [(k, str(kind_label(k))) for k in (*kinds, OTHER_KIND)]
        self.file.description = _l(
            "Formater: %(formats)s. Filen må højst være %(mb)d MB.", formats=formats, mb=max_mb
        )


class SubmitForm(PortalForm):
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler ansøgningens version. Genindlæs siden."))],
    )
    send = SubmitField(_l("Send ansøgningen"))


class RemoveForm(PortalForm):
    """A button that removes an attachment (CSRF only)."""


# --- the organisation's answer to a grant, and its messages ------------------------------------

ANSWER_ACTIONS = ("accept", "decline")
MESSAGE_MAX = 5000


class AnswerForm(PortalForm):
    """Accept the grant (the conditions ticked as read and accepted, a message optional) or
    decline it (with the reason), with the version of the application the user saw."""

    action = HiddenChoiceField(
        _l("Svar"),
        choices=[(action, action) for action in ANSWER_ACTIONS],
        validators=[InputRequired(_l("Vælg, om I tager imod tilskuddet eller siger nej tak."))],
    )
    conditions_accepted = BooleanField(_l("Vi har læst og accepterer betingelserne"))
    text = TextAreaField(
        _l("Besked til puljen"),
        filters=[strip],
        validators=[Optional(), Length(max=MESSAGE_MAX, message=TOO_LONG)],
        render_kw={"rows": 3},
    )
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler ansøgningens version. Genindlæs siden."))],
    )

    @classmethod
    def for_action(cls, action: str, version: int) -> AnswerForm:
        """An empty form for one answer, for the page (not bound to the request)."""
        form = cls(formdata=None, action=action, version=version)
        form.prepare(action)
        return form

    def prepare(self, action: str | None = None) -> None:
        """Ids of its own (both answers are on the page) and the answer's own labels."""
        action = action or self.action.data
        if action not in ANSWER_ACTIONS:
            action = "answer"  # a forged action never becomes part of an id
        unique_ids(self, action)
        # The macros render these as bare hidden inputs, without a link in the error summary.
        self.action.type = self.version.type = "HiddenField"
        if action == "decline":
            self.text.label.text = _l("Hvorfor siger I nej tak?")
            self.text.flags.required = True

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.action.data == "accept" and not self.conditions_accepted.data:
            self.conditions_accepted.errors = [
                *self.conditions_accepted.errors,
                _l(
                    "Sæt kryds, hvis I har læst og accepterer betingelserne. Ellers kan I ikke tage imod tilskuddet."
                ),
            ]
            ok = False
        if self.action.data == "decline" and not (self.text.data or "").strip():
            self.text.errors = [
                *self.text.errors,
                _l("Skriv, hvorfor I siger nej tak. Puljens medarbejdere får begrundelsen at se."),
            ]
            ok = False
        return ok


class MessageForm(PortalForm):
    """A message from the organisation to the grant officers, without a change of state."""

    text = TextAreaField(
        _l("Besked"),
        filters=[strip],
        validators=[
            required(_l("Skriv en besked.")),
            Length(max=MESSAGE_MAX, message=TOO_LONG),
        ],
        render_kw={"rows": 4},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "message")
