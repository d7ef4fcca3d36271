"""The round form (new and edit) with its rubric rows and reviewers, and the publish form.

Money is typed in kroner as people write it ("5.500.000", "400.000,50") and kept in øre;
opening and deadline are a date and a time on the Copenhagen clock. "Tilføj kriterium" and
"Fjern" are submit buttons, so the rubric can be edited without JavaScript.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.forms import PortalForm, _DanishWTFormsTranslations, required, strip
from portal.models import GrantRound, User
from portal.money import MoneyError, kroner_input, parse_kroner
from portal.services.grant_round_admin import (
    ATTACHMENT_KINDS,
    CriterionValues,
    RoundValues,
)
from portal.services.grant_rounds import RoundError, local

TOO_LONG = _l("Skriv højst %(max)d tegn.")
TEXT_MAX = 10_000


class KronerField(StringField):
    """An amount in kroner as typed; ``ore`` holds it in øre once validated."""

    ore: int | None = None

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, filters=[strip], **kwargs)

    def pre_validate(self, form: Any) -> None:
        self.ore = None
        if not (self.data or "").strip():
            return  # the required validator says what is missing
        try:
            self.ore = parse_kroner(self.data)
        except MoneyError as error:
            raise ValidationError(str(error.message)) from None


def _checkboxes(label: Any, **kwargs: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
        **kwargs,
    )


class CriterionForm(Form):
    """One row of the rubric. A row left wholly empty is ignored on save."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return _DanishWTFormsTranslations()

    name_da = StringField(
        _l("Kriterium (dansk)"), filters=[strip], validators=[Length(max=200, message=TOO_LONG)]
    )
    name_en = StringField(
        _l("Kriterium (engelsk)"), filters=[strip], validators=[Length(max=200, message=TOO_LONG)]
    )
    description_da = TextAreaField(
        _l("Forklaring til bedømmerne (dansk)"),
        filters=[strip],
        validators=[Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 2},
    )
    description_en = TextAreaField(
        _l("Forklaring til bedømmerne (engelsk)"),
        filters=[strip],
        validators=[Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 2},
    )
    weight = IntegerField(
        _l("Vægt"),
        default=1,
        description=_l("Fra 1 til 100. Kriteriets andel af den samlede score."),
        validators=[
            InputRequired(_l("Skriv en vægt.")),
            NumberRange(1, 100, _l("Vægten skal være mellem 1 og 100.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    scale_max = IntegerField(
        _l("Højeste point"),
        default=5,
        description=_l("Bedømmerne giver fra 1 til dette tal (2-10)."),
        validators=[
            InputRequired(_l("Skriv det højeste point.")),
            NumberRange(2, 10, _l("Skalaen skal gå til mellem 2 og 10.")),
        ],
        render_kw={"inputmode": "numeric"},
    )

    def is_empty(self) -> bool:
        return not any(
            (f.data or "").strip()
            for f in (self.name_da, self.name_en, self.description_da, self.description_en)
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.is_empty() and not (self.name_da.data or "").strip():
            self.name_da.errors = [*self.name_da.errors, _l("Giv kriteriet et navn.")]
            ok = False
        return ok

    def values(self) -> CriterionValues:
        return CriterionValues(
            name_da=self.name_da.data or "",
            name_en=self.name_en.data or "",
            description_da=self.description_da.data or "",
            description_en=self.description_en.data or "",
            weight=self.weight.data or 0,
            scale_max=self.scale_max.data or 0,
        )


def _text(label: Any, rows: int = 5, description: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        description=description,
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": rows},
    )


class RoundForm(PortalForm):
    name_da = StringField(
        _l("Navn (dansk)"),
        filters=[strip],
        validators=[required(_l("Giv runden et navn.")), Length(max=200, message=TOO_LONG)],
    )
    name_en = StringField(
        _l("Navn (engelsk)"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
    )
    description_da = _text(
        _l("Beskrivelse (dansk)"), description=_l("Hvad puljen støtter, og hvem der kan søge.")
    )
    description_en = _text(_l("Beskrivelse (engelsk)"))
    criteria_da = _text(
        _l("Kriterier for at få tilskud (dansk)"),
        description=_l("Det, ansøgerne skal opfylde. Vises for organisationerne."),
    )
    criteria_en = _text(_l("Kriterier for at få tilskud (engelsk)"))
    pool = KronerField(
        _l("Puljens størrelse i kr."),
        description=_l("Fx 5.500.000"),
        validators=[required(_l("Skriv puljens størrelse."))],
    )
    maximum = KronerField(
        _l("Højeste beløb pr. ansøgning i kr."),
        description=_l("Fx 400.000"),
        validators=[required(_l("Skriv det højeste beløb, der kan søges."))],
    )
    opens_on = DateField(
        _l("Åbner dato"), validators=[InputRequired(_l("Vælg den dato, runden åbner."))]
    )
    opens_time = TimeField(
        _l("Åbner klokken"),
        default=time(9),
        description=_l("Dansk tid, fx 09:00"),
        validators=[InputRequired(_l("Skriv det klokkeslæt, runden åbner."))],
    )
    deadline_on = DateField(
        _l("Ansøgningsfrist dato"),
        validators=[InputRequired(_l("Vælg datoen for ansøgningsfristen."))],
    )
    deadline_time = TimeField(
        _l("Ansøgningsfrist klokken"),
        default=time(12),
        description=_l("Dansk tid, fx 12:00. Ansøgninger efter fristen kan ikke sendes."),
        validators=[InputRequired(_l("Skriv klokkeslættet for ansøgningsfristen."))],
    )
    reporting_deadline = DateField(
        _l("Frist for afrapportering"),
        validators=[InputRequired(_l("Vælg fristen for afrapportering."))],
    )
    audit_threshold = KronerField(
        _l("Revideret regnskab kræves over (kr.)"),
        default="100.000",
        description=_l("Tilskud over dette beløb skal afrapporteres med revideret regnskab."),
        validators=[required(_l("Skriv beløbet."))],
    )
    voucher_share_percent = IntegerField(
        _l("Andel der skal indsende bilag (procent)"),
        default=20,
        description=_l("Stikprøven af tilskud, der skal indsende bilag og timeopgørelser."),
        validators=[
            InputRequired(_l("Skriv en procent fra 0 til 100.")),
            NumberRange(0, 100, _l("Andelen skal være mellem 0 og 100 procent.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    required_attachments = _checkboxes(_l("Bilag, som alle ansøgninger skal have"))
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=30)
    reviewers = _checkboxes(_l("Bedømmere"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    add_criterion = SubmitField(_l("Tilføj kriterium"))
    # The value of the pressed "Fjern" button: the row's index.
    remove_criterion = StringField(validators=[Optional()])
    save = SubmitField(_l("Gem runden"))

    def prepare(self, reviewers: Sequence[User]) -> None:
        self.version.type = "HiddenField"
        self.required_attachments.choices = [
            (kind, label) for kind, label in ATTACHMENT_KINDS.items()
        ]
        self.reviewers.choices = [
            (str(user.id), f"{user.name} ({user.email})") for user in reviewers
        ]

    @classmethod
    def of(cls, grant_round: GrantRound) -> RoundForm:
        """A form holding the round as it is (for its edit page)."""
        opens, deadline = local(grant_round.opens_at), local(grant_round.deadline_at)
        data = {
            "name_da": grant_round.name_da,
            "name_en": grant_round.name_en,
            "description_da": grant_round.description_da,
            "description_en": grant_round.description_en,
            "criteria_da": grant_round.criteria_da,
            "criteria_en": grant_round.criteria_en,
            "pool": kroner_input(grant_round.pool_ore),
            "maximum": kroner_input(grant_round.max_per_application_ore),
            "opens_on": opens.date(),
            "opens_time": opens.time().replace(tzinfo=None),
            "deadline_on": deadline.date(),
            "deadline_time": deadline.time().replace(tzinfo=None),
            "reporting_deadline": grant_round.reporting_deadline,
            "audit_threshold": kroner_input(grant_round.audit_threshold_ore),
            "voucher_share_percent": grant_round.voucher_share_percent,
            "required_attachments": list(grant_round.required_attachments or []),
            "criteria": [
                {
                    "name_da": c.name_da,
                    "name_en": c.name_en,
                    "description_da": c.description_da,
                    "description_en": c.description_en,
                    "weight": c.weight,
                    "scale_max": c.scale_max,
                }
                for c in grant_round.criteria
            ],
            "reviewers": [str(r.user_id) for r in grant_round.reviewers],
            "version": grant_round.version,
        }
        return cls(formdata=None, data=data)

    # --- the rubric's buttons -------------------------------------------------------------------

    def rubric_action(self) -> bool:
        """Add or remove a rubric row if one of those buttons was pressed (nothing is saved
        then); whether one was."""
        if self.add_criterion.data:
            self.criteria.append_entry()
            return True
        raw = (self.remove_criterion.data or "").strip()
        if raw:
            if raw.isdigit() and int(raw) < len(self.criteria.entries):
                self.criteria.entries.pop(int(raw))
            if not self.criteria.entries:
                self.criteria.append_entry()
            return True
        return False

    # --- to the service and back ----------------------------------------------------------------

    def values(self) -> RoundValues:
        """The validated form as the service takes it (rubric rows left empty are dropped)."""
        return RoundValues(
            name_da=self.name_da.data or "",
            name_en=self.name_en.data or "",
            description_da=self.description_da.data or "",
            description_en=self.description_en.data or "",
            criteria_da=self.criteria_da.data or "",
            criteria_en=self.criteria_en.data or "",
            pool_ore=self.pool.ore or 0,
            max_per_application_ore=self.maximum.ore or 0,
            opens_on=self.opens_on.data,
            opens_time=self.opens_time.data,
            deadline_on=self.deadline_on.data,
            deadline_time=self.deadline_time.data,
            reporting_deadline=self.reporting_deadline.data,
            audit_threshold_ore=self.audit_threshold.ore or 0,
            voucher_share_percent=self.voucher_share_percent.data or 0,
            required_attachments=tuple(self.required_attachments.data or ()),
            criteria=tuple(
                entry.form.values() for entry in self.criteria if not entry.form.is_empty()
            ),
            reviewer_ids=tuple(uuid.UUID(value) for value in self.reviewers.data or ()),
        )

    def show(self, problems: Sequence[RoundError]) -> None:
        """Put the service's problems on the fields they concern (or on the form)."""
        kept = [e for e in self.criteria if not e.form.is_empty()]
        for problem in problems:
            target = self._field(problem.field, kept)
            if target is None:
                self.form_errors.append(problem.message)
            else:
                target.errors = [*target.errors, problem.message]

    def _field(self, name: str | None, rows: list[Any]) -> Field | None:
        if not name:
            return None
        if name.startswith("criteria-"):
            _prefix, position, sub = name.split("-", 2)
            index = int(position)
            return rows[index].form[sub] if index < len(rows) else None
        return self._fields.get(name)

    def keep_version(self, version: int) -> None:
        self.version.data = version
        self.version.raw_data = [str(version)]


class PublishForm(PortalForm):
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler rundens version. Genindlæs siden."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version.type = "HiddenField"
