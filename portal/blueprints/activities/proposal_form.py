"""The proposal form (new and changed) and the ``Proposal`` it describes.

The form checks what a form can (a title, real dates and times, a repetition that ends, its
exceptions among its dates); the rules of the institution are checked by
``activities.problems`` on the proposal that ``ProposalForm.proposal`` builds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.dates import danish_lines, parse_days
from portal.form_fields import DayField, MultiCheckboxField
from portal.forms import PortalForm, required, strip
from portal.labels import lazy_label
from portal.models import ActivityKind, Institution, MentorHelp, Volunteer
from portal.services.activities import Proposal
from portal.services.recurrence import Recurrence, RecurrenceError, instants, occurrences

TEXT_MAX = 5000
TOO_LONG = _l("Skriv højst %(max)d tegn.")

RECURRENCE_CHOICES = [
    ("once", _l("Én gang")),
    ("weekly", _l("Hver uge")),
    ("biweekly", _l("Hver anden uge")),
]


def _clock(label: Any, missing: Any, example: Any) -> TimeField:
    return TimeField(
        label,
        format=["%H:%M", "%H.%M", "%H:%M:%S"],
        validators=[InputRequired(missing)],
        description=example,
    )


def _ids(values: Iterable[str] | None) -> list[uuid.UUID]:
    return [uuid.UUID(value) for value in values or ()]


class ProposalForm(PortalForm):
    """A proposal of an activity. ``prepare`` fills in the choices before it is used."""

    institution = SelectField(
        _l("Institution"),
        validate_choice=False,  # checked in validate_institution, with its own message
        validators=[InputRequired(_l("Vælg institutionen."))],
    )
    section = SelectField(
        _l("Afdeling"),
        validate_choice=False,
        validators=[Optional()],
        description=_l("Vælg en afdeling, hvis aktiviteten foregår i en bestemt afdeling."),
    )
    choose = SubmitField(_l("Vis afdelinger og regler"))
    kind = RadioField(
        _l("Slags aktivitet"),
        choices=[(kind.value, lazy_label(kind)) for kind in ActivityKind],
        validators=[InputRequired(_l("Vælg, hvilken slags aktivitet det er."))],
    )
    mentor_help = MultiCheckboxField(
        _l("Mentorens hjælp"),
        choices=[(help_.value, lazy_label(help_)) for help_ in MentorHelp],
        description=_l("Kun for mentorer: hvilken hjælp mentoren giver."),
    )
    title = StringField(
        _l("Titel"),
        filters=[strip],
        validators=[
            required(_l("Skriv en titel på aktiviteten.")),
            Length(max=200, message=TOO_LONG),
        ],
        description=_l("Fx \u201dBesøgsven hos indsatte i afdeling B\u201d."),
    )
    description = TextAreaField(
        _l("Beskrivelse"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Hvad sker der, og hvad er formålet?"),
        render_kw={"rows": 4},
    )
    target_group = StringField(
        _l("Målgruppe"),
        filters=[strip],
        validators=[Optional(), Length(max=300, message=TOO_LONG)],
        description=_l("Fx \u201dIndsatte, der snart løslades\u201d."),
    )
    place = StringField(
        _l("Sted på institutionen"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
        description=_l("Hvis I kender det, fx \u201dBesøgsrummet\u201d."),
    )
    recurrence_kind = RadioField(
        _l("Hvor ofte"),
        choices=RECURRENCE_CHOICES,
        default="once",
        validators=[InputRequired(_l("Vælg, om aktiviteten er én gang eller gentages."))],
    )
    first_date = DayField(
        _l("Dato"),
        validators=[InputRequired(_l("Skriv datoen for aktiviteten."))],
        description=_l("Den første dato, hvis aktiviteten gentages."),
    )
    until_date = DayField(
        _l("Gentages til og med"),
        validators=[Optional()],
        description=_l("Kun når aktiviteten gentages: den sidste mulige dato."),
    )
    exceptions = TextAreaField(
        _l("Undtagelser"),
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l(
            "Kun når aktiviteten gentages: datoer, hvor den ikke holdes, fx 24.12.2026. Én dato pr. linje eller adskilt med komma."
        ),
        render_kw={"rows": 3},
    )
    start_time = _clock(
        _l("Fra klokken"), _l("Skriv, hvornår aktiviteten begynder."), _l("Fx 18:00.")
    )
    end_time = _clock(_l("Til klokken"), _l("Skriv, hvornår aktiviteten slutter."), _l("Fx 20:00."))
    participants = MultiCheckboxField(
        _l("Deltagere"),
        description=_l("Vælg blandt organisationens frivillige. Deres status står ved navnet."),
    )
    child_certificates = MultiCheckboxField(_l("Har børneattest"))
    children_under_15 = BooleanField(
        _l("Børn under 15 år deltager"),
        description=_l("Fx ved aktiviteter for pårørende. Så kan der kræves børneattest."),
    )
    items = TextAreaField(
        _l("Det medbringer deltagerne"),
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Én ting pr. linje. Lad feltet stå tomt, hvis I ikke medbringer noget."),
        render_kw={"rows": 3},
    )
    brings_phone = BooleanField(_l("Deltagerne har mobiltelefon med ind"))
    escort_arranged = BooleanField(
        _l("Ledsagelse ved institutionens personale er aftalt"),
        description=_l("Sæt kryds, når I har aftalt med institutionen, at personalet ledsager."),
    )
    check = SubmitField(_l("Tjek forslaget"))
    send = SubmitField(_l("Send forslaget"))

    def prepare(
        self,
        institutions: Sequence[Institution],
        volunteers: Sequence[Volunteer],
        chosen: Institution | None,
    ) -> None:
        """The choices: active institutions, the chosen institution's active sections, the
        organisation's volunteers."""
        self.institution.choices = [
            ("", _l("Vælg institution")),
            *((str(i.id), i.name) for i in institutions),
        ]
        self._institution_ids = {str(i.id) for i in institutions}
        sections = [s for s in chosen.sections if s.active] if chosen is not None else []
        self.section.choices = [
            ("", _l("Hele institutionen, eller ved ikke")),
            *((str(s.id), s.name) for s in sections),
        ]
        self._section_ids = {str(s.id) for s in sections}
        people = [(str(v.id), v.name) for v in volunteers]
        self.participants.choices = people
        self.child_certificates.choices = people

    # --- checks of single fields -------------------------------------------------------------

    def validate_institution(self, field: SelectField) -> None:
        if field.data not in self._institution_ids:
            raise ValidationError(str(_l("Vælg en institution fra listen.")))

    def validate_section(self, field: SelectField) -> None:
        if field.data and field.data not in self._section_ids:
            raise ValidationError(
                str(
                    _l(
                        "Vælg en afdeling, der hører til institutionen. Tryk \u201dVis afdelinger og regler\u201d efter at have skiftet institution."
                    )
                )
            )

    def validate_exceptions(self, field: TextAreaField) -> None:
        _days, bad = parse_days(field.data or "")
        if bad:
            raise ValidationError(
                str(
                    _l(
                        "\u201d%(text)s\u201d er ikke en dato. Skriv datoerne som dag.måned.år, fx 24.12.2026.",
                        text=bad[0],
                    )
                )
            )

    # --- checks across fields ------------------------------------------------------------------

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.data == ActivityKind.MENTOR and not self.mentor_help.data:
            self.mentor_help.errors = [
                *self.mentor_help.errors,
                _l("Vælg, hvilken hjælp mentoren giver."),
            ]
            ok = False
        return self._check_dates() and ok

    def _check_dates(self) -> bool:
        """A repetition that ends, exceptions among its dates, times that exist on each date."""
        fields = (
            self.recurrence_kind,
            self.first_date,
            self.until_date,
            self.exceptions,
            self.start_time,
            self.end_time,
        )
        if any(f.errors for f in fields):
            return False  # said at the field already
        kind = self.recurrence_kind.data or "once"
        repeats = kind != "once"
        if repeats and self.until_date.data is None:
            self.until_date.errors = [_l("Skriv, hvornår gentagelsen slutter.")]
            return False
        if self.end_time.data <= self.start_time.data:
            self.end_time.errors = [_l("Sluttidspunktet skal ligge efter starttidspunktet.")]
            return False
        until = self.until_date.data if repeats else None
        exceptions, _bad = parse_days(self.exceptions.data or "")
        steps = (
            ((self.until_date if repeats else self.first_date), frozenset()),
            (self.exceptions, frozenset(exceptions)),
        )
        days: list[Any] = []
        for field, left_out in steps:
            try:
                days = occurrences(Recurrence(kind, self.first_date.data, until, left_out))
            except RecurrenceError as error:
                field.errors = [error.message]
                return False
        try:
            for day in days:
                instants(day, self.start_time.data, self.end_time.data)
        except RecurrenceError as error:
            self.start_time.errors = [error.message]
            return False
        return True

    # --- the proposal ------------------------------------------------------------------------

    def proposal(self) -> Proposal:
        """The proposal the (validated) form describes."""
        participants = tuple(dict.fromkeys(_ids(self.participants.data)))
        repeats = self.recurrence_kind.data != "once"
        exceptions, _bad = parse_days(self.exceptions.data or "")
        return Proposal(
            institution_id=uuid.UUID(self.institution.data),
            section_id=uuid.UUID(self.section.data) if self.section.data else None,
            kind=self.kind.data or "",
            mentor_help=tuple(self.mentor_help.data or ())
            if self.kind.data == ActivityKind.MENTOR
            else (),
            title=self.title.data or "",
            description=self.description.data or "",
            target_group=self.target_group.data or "",
            place=self.place.data or "",
            recurrence_kind=self.recurrence_kind.data or "once",
            first_date=self.first_date.data,
            until_date=self.until_date.data if repeats else None,
            exceptions=frozenset(exceptions) if repeats else frozenset(),
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            participant_ids=participants,
            child_certificate_ids=frozenset(_ids(self.child_certificates.data))
            & frozenset(participants),
            items=tuple(
                line.strip() for line in (self.items.data or "").splitlines() if line.strip()
            ),
            brings_phone=bool(self.brings_phone.data),
            children_under_15=bool(self.children_under_15.data),
            escort_arranged=bool(self.escort_arranged.data),
        )


def form_data(proposal: Proposal) -> dict[str, Any]:
    """A proposal as the form's data (to fill the change form)."""
    return {
        "institution": str(proposal.institution_id),
        "section": str(proposal.section_id) if proposal.section_id else "",
        "kind": proposal.kind,
        "mentor_help": list(proposal.mentor_help),
        "title": proposal.title,
        "description": proposal.description,
        "target_group": proposal.target_group,
        "place": proposal.place,
        "recurrence_kind": proposal.recurrence_kind,
        "first_date": proposal.first_date,
        "until_date": proposal.until_date,
        "exceptions": danish_lines(proposal.exceptions),
        "start_time": proposal.start_time,
        "end_time": proposal.end_time,
        "participants": [str(i) for i in proposal.participant_ids],
        "child_certificates": [str(i) for i in proposal.child_certificate_ids],
        "children_under_15": proposal.children_under_15,
        "items": "\n".join(proposal.items),
        "brings_phone": proposal.brings_phone,
        "escort_arranged": proposal.escort_arranged,
    }


class ChangeForm(ProposalForm):
    """The proposal changed: an answer to a change request, a correction, or a change after
    approval. ``version`` is the activity's version the user started from."""

    message = TextAreaField(
        _l("Hvad er ændret?"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Institutionen ser teksten i aktivitetens historik og i e-mailen."),
        render_kw={"rows": 3},
    )
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler aktivitetens version. Genindlæs siden."))],
    )
    send = SubmitField(_l("Send ændringen"))
