"""Forms of the data-subject requests: the person's own request, the DPO's registration of a
letter or e-mail, the list's filter, and one form per step of the handling. Each step's form
carries the version the DPO saw, so a step on a page gone stale is refused instead of acting
on a request that changed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.form_fields import DayField, unique_ids
from portal.forms import PortalForm, name_field, required, strip
from portal.labels import lazy_label
from portal.models import SubjectRequestChannel, SubjectRequestKind, SubjectRequestState

TEXT_MAX = 5000
TOO_LONG = _l("Skriv højst %(max)d tegn.")
MISSING_VERSION = _l("Siden mangler oplysninger om, hvad du så. Genindlæs siden, og prøv igen.")
RECTIFICATION_MISSING = _l("Skriv, hvad der er forkert, og hvad det skal rettes til.")
BAD_EMAIL = _l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk.")

# What each kind means, in plain Danish, for the person choosing.
KIND_CHOICES: list[tuple[str, Any]] = [
    (
        SubjectRequestKind.ACCESS.value,
        _l("Indsigt: få en kopi af de oplysninger, portalen har om dig"),
    ),
    (
        SubjectRequestKind.RECTIFICATION.value,
        _l("Berigtigelse: få rettet oplysninger, der er forkerte"),
    ),
    (
        SubjectRequestKind.ERASURE.value,
        _l("Sletning: få slettet de oplysninger, vi ikke skal gemme"),
    ),
]


def _version() -> IntegerField:
    return IntegerField(
        _l("Version"), widget=HiddenInput(), validators=[InputRequired(MISSING_VERSION)]
    )


def _text(label: Any, missing: Any, rows: int = 4, description: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        validators=[required(missing), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=description,
        render_kw={"rows": rows},
    )


def _optional_email(label: Any, description: Any = None) -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        validators=[
            Optional(),
            Email(message=BAD_EMAIL, check_deliverability=False),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        description=description,
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class _KindAndDescription(PortalForm):
    kind = RadioField(
        _l("Hvad vil du bede om?"),
        choices=KIND_CHOICES,
        validators=[InputRequired(_l("Vælg, hvad anmodningen gælder."))],
    )
    description = TextAreaField(
        _l("Beskrivelse"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l(
            "Ved berigtigelse: skriv, hvad der er forkert, og hvad det skal rettes til. Ellers kan du skrive, hvis anmodningen kun gælder noget bestemt."
        ),
        render_kw={"rows": 5},
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.data == SubjectRequestKind.RECTIFICATION.value and not self.description.data:
            self.description.errors = [*self.description.errors, RECTIFICATION_MISSING]
            ok = False
        return ok

    def chosen_kind(self) -> SubjectRequestKind:
        return SubjectRequestKind(self.kind.data)


class MyRequestForm(_KindAndDescription):
    """The person's own request, from "Mine data"."""


class NewRequestForm(_KindAndDescription):
    """A request the DPO received by letter or e-mail."""

    name = name_field(_l("Personens navn"), missing=_l("Skriv personens navn."), own=False)
    email = _optional_email(
        _l("Personens e-mailadresse"),
        _l(
            "Kvittering, besked om forlænget frist og svar sendes hertil. Uden en adresse svarer du med brev."
        ),
    )
    channel = RadioField(
        _l("Modtaget som"),
        choices=[
            (SubjectRequestChannel.LETTER.value, lazy_label(SubjectRequestChannel.LETTER)),
            (SubjectRequestChannel.EMAIL.value, lazy_label(SubjectRequestChannel.EMAIL)),
        ],
        validators=[InputRequired(_l("Vælg, hvordan anmodningen kom."))],
    )
    received_on = DayField(
        _l("Modtaget den"),
        validators=[InputRequired(_l("Skriv datoen, anmodningen blev modtaget."))],
        description=_l("Fristen på en måned regnes fra denne dato."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.label.text = _l("Hvad beder personen om?")
        self.description.description = _l(
            "Et kort resumé af anmodningen. Ved berigtigelse: hvad er forkert, og hvad skal det rettes til?"
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.channel.data == SubjectRequestChannel.EMAIL.value and not self.email.data:
            self.email.errors = [
                *self.email.errors,
                _l("Skriv den e-mailadresse, anmodningen kom fra."),
            ]
            ok = False
        return ok

    def validate_received_on(self, field: Any) -> None:
        from portal.services.subject_request_queries import today

        if field.data is not None and field.data > today():
            raise ValidationError(_l("Datoen kan ikke ligge i fremtiden."))

    def chosen_channel(self) -> SubjectRequestChannel:
        return SubjectRequestChannel(self.channel.data)


OPEN = "open"
ALL = "all"


class RequestFilterForm(PortalForm):
    """The list's filter (a GET form: it changes nothing); unknown values show the open ones."""

    class Meta:
        csrf = False

    status = SelectField(_l("Vis"), default=OPEN, validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            (OPEN, _l("Åbne anmodninger")),
            (ALL, _l("Alle")),
            *((state.value, lazy_label(state)) for state in SubjectRequestState),
        ]

    def chosen(self) -> tuple[SubjectRequestState | None, bool]:
        """The state to show (or None) and whether only open requests are shown."""
        self.validate()
        value = OPEN if self.status.errors or not self.status.data else self.status.data
        if value == ALL:
            return None, False
        if value == OPEN:
            return None, True
        return SubjectRequestState(value), False


# --- the steps of the handling -----------------------------------------------------------------


class _Step(PortalForm):
    prefix_id = "step"
    version = _version()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, self.prefix_id)
        self.version.type = "HiddenField"


class IdentityForm(_Step):
    prefix_id = "identity"
    text = _text(
        _l("Hvordan er identiteten kontrolleret?"),
        _l("Skriv, hvordan identiteten er kontrolleret."),
        rows=3,
        description=_l("Fx: sendt fra personens egen konto, eller kopi af pas set og slettet."),
    )
    email = _optional_email(
        _l("Personens konto i portalen (e-mail)"),
        _l(
            "Hvis personen har en konto, så knyt anmodningen til den. Det kræves for udtræk og sletning."
        ),
    )


class LinkForm(_Step):
    prefix_id = "link"
    email = EmailField(
        _l("Personens konto i portalen (e-mail)"),
        filters=[strip],
        validators=[
            required(_l("Skriv e-mailadressen på personens konto.")),
            Email(message=BAD_EMAIL, check_deliverability=False),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class StartForm(_Step):
    prefix_id = "start"


class ExtendForm(_Step):
    prefix_id = "extend"
    due_on = DayField(
        _l("Ny frist"),
        validators=[InputRequired(_l("Skriv den nye frist."))],
    )
    text = _text(
        _l("Begrundelse til personen"),
        _l("Skriv, hvorfor fristen forlænges. Personen får begrundelsen."),
        rows=3,
    )


class AnswerForm(_Step):
    prefix_id = "answer"
    text = _text(
        _l("Svar til personen"),
        _l("Skriv svaret til personen."),
        rows=6,
        description=_l("Personen får svaret på e-mail og kan læse det under Mine data."),
    )


class RefuseForm(_Step):
    prefix_id = "refuse"
    text = _text(
        _l("Begrundelse for afvisningen"),
        _l("Skriv begrundelsen for afvisningen. Personen får den."),
        rows=4,
        description=_l(
            "Personen får begrundelsen på e-mail sammen med oplysning om retten til at klage til Datatilsynet."
        ),
    )


class ExportForm(_Step):
    prefix_id = "export"


class EraseForm(_Step):
    prefix_id = "erase"
    confirm = BooleanField(
        _l("Jeg har læst listen og vil slette det, der må slettes"),
        validators=[InputRequired(_l("Sæt kryds for at bekræfte sletningen."))],
    )


# The forms of request_act, by action (export and erasure have their own routes).
ACTION_FORMS: dict[str, type[_Step]] = {
    "check_identity": IdentityForm,
    "link_account": LinkForm,
    "start": StartForm,
    "extend": ExtendForm,
    "answer": AnswerForm,
    "refuse": RefuseForm,
}
