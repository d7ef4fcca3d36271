"""Forms of the area office's case pages: the queue's filters and the actions on a case."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.form_fields import HiddenChoiceField, unique_ids
from portal.forms import PortalForm, required
from portal.labels import label
from portal.models import OrganisationState
from portal.services import workflow
from portal.services.dashboards import WAITING_STATES

TEXT_MAX = 5000

# The actions a caseworker takes from the case page: every caseworker transition of the table.
CASEWORKER_ACTIONS = [
    t.action for t in workflow.TRANSITIONS if t.actor == workflow.Actor.CASEWORKER
]

# What the text field is called for each action, and what to say when a required one is empty.
TEXT_LABELS: dict[str, Any] = {
    "request_information": _l("Hvad skal organisationen sende eller uddybe?"),
    "approve": _l("Bemærkning til organisationen"),
    "reject": _l("Begrundelse for afvisningen"),
    "hand_over": _l("Note til det andet områdekontor"),
    "suspend": _l("Begrundelse for suspenderingen"),
    "reinstate": _l("Bemærkning til organisationen"),
}
# The actions whose transition needs a text (workflow.Transition.needs_text), in their own words.
TEXT_REQUIRED: dict[str, Any] = {
    "request_information": _l("Skriv, hvilke oplysninger organisationen skal sende."),
    "reject": _l("Skriv en begrundelse for afvisningen. Organisationen får den at se."),
    "hand_over": _l("Skriv en note til det andet områdekontor om, hvorfor sagen overdrages."),
    "suspend": _l("Skriv en begrundelse for suspenderingen. Organisationen får den at se."),
}

GENERIC_TEXT_REQUIRED = _l("Skriv en begrundelse eller besked.")

WAITING = "waiting"
ALL = "all"
OLDEST = "oldest"
NEWEST = "newest"


def text_required_message(action: str | None) -> Any | None:
    """What to say when the text of ``action`` is left empty; None when it may be empty."""
    transition = workflow.BY_ACTION.get(action or "")
    if transition is None or not transition.needs_text:
        return None
    return TEXT_REQUIRED.get(transition.action, GENERIC_TEXT_REQUIRED)


class CaseActionForm(PortalForm):
    """One action on the case: which, an optional or required text, and the version seen."""

    action = HiddenChoiceField(
        _l("Handling"),
        choices=[(action, action) for action in CASEWORKER_ACTIONS],
        validators=[InputRequired(_l("Vælg en handling."))],
    )
    text = TextAreaField(
        _l("Tekst"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"rows": 4},
    )
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler sagens version. Genindlæs siden."))],
    )

    @classmethod
    def for_action(cls, action: str, version: int, **kwargs: Any) -> CaseActionForm:
        """An empty form for one action, for the case page (not bound to the request)."""
        form = cls(formdata=None, action=action, version=version, **kwargs)
        form.prepare(action)
        return form

    def prepare(self, action: str | None = None) -> None:
        """Unique ids (the page holds one form per action) and the action's own text label."""
        action = action or self.action.data
        if action not in CASEWORKER_ACTIONS:
            action = "action"  # a forged action never becomes part of an id
        unique_ids(self, action)
        # The macros render fields of this type as bare hidden inputs, without a link in the
        # error summary (there is nothing to focus).
        self.action.type = self.version.type = "HiddenField"
        self.text.label.text = TEXT_LABELS.get(action, self.text.label.text)
        if text_required_message(action) is not None:
            self.text.flags.required = True

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        message = text_required_message(self.action.data)
        if message and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, message]
            ok = False
        return ok


class MessageForm(PortalForm):
    """A free message to the organisation, without a change of state."""

    text = TextAreaField(
        _l("Besked"),
        validators=[required(_l("Skriv en besked.")), Length(max=TEXT_MAX)],
        description=_l("Organisationen ser beskeden i portalen og får den på e-mail."),
        render_kw={"rows": 4},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "message")


class ProfileChangeForm(PortalForm):
    """Accept or decline the organisation's pending change of name or CVR number."""

    decision = SelectField(
        _l("Afgørelse"),
        choices=[("accept", _l("Godkend ændringen")), ("decline", _l("Afvis ændringen"))],
        validators=[InputRequired(_l("Vælg, om ændringen godkendes eller afvises."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "profile-change")


class QueueFilterForm(PortalForm):
    """The queue's search and filters (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Søg efter navn eller CVR-nummer"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), default=WAITING, validators=[Optional()])
    sort = SelectField(
        _l("Sortering"),
        default=OLDEST,
        choices=[
            (OLDEST, _l("Længst ventetid først")),
            (NEWEST, _l("Senest indsendt først")),
        ],
        validators=[Optional()],
    )
    mine = BooleanField(_l("Kun sager, jeg har taget"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            (WAITING, _l("Venter på behandling")),
            (ALL, _l("Alle")),
            *(
                (state.value, label(state))
                for state in OrganisationState
                if state != OrganisationState.DRAFT
            ),
        ]

    def show_counts(self, counts: dict[OrganisationState, int]) -> None:
        """Put the number of cases after each state in the status list."""
        waiting = sum(counts.get(state, 0) for state in WAITING_STATES)
        numbers = {WAITING: waiting, ALL: sum(counts.values()), **counts}
        self.status.choices = [
            (value, f"{text} ({numbers[value]})" if value in numbers else text)
            for value, text in self.status.choices  # type: ignore[misc]
        ]

    def filters(self) -> dict[str, Any]:
        """The filters to apply: a field with an invalid value falls back to its default."""
        self.validate()

        def value(field: Any, default: Any) -> Any:
            return default if field.errors or field.data in (None, "") else field.data

        return {
            "q": "" if self.q.errors else (self.q.data or "").strip(),
            "status": value(self.status, WAITING),
            "sort": value(self.sort, OLDEST),
            "mine": bool(self.mine.data),
        }
