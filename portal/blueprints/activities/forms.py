"""Forms of the activity pages besides the proposal (``proposal_form``): the actions and
messages on an activity, and the filters of the lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.form_fields import HiddenChoiceField, StateFilterForm, unique_ids
from portal.forms import PortalForm, required, strip
from portal.labels import lazy_label
from portal.models import ActivityState, Institution
from portal.services import activity_workflow

TEXT_MAX = 5000
TOO_LONG = _l("Skriv højst %(max)d tegn.")


# --- actions on an activity --------------------------------------------------------------------

BUTTON_ACTIONS = [t.action for t in activity_workflow.TRANSITIONS if not t.edits]

# What the text field is called for each action, and what to say when a required one is empty.
TEXT_LABELS: dict[str, Any] = {
    "approve": _l("Bemærkning til organisationen"),
    "request_changes": _l("Hvad skal organisationen ændre?"),
    "refuse": _l("Begrundelse for afvisningen"),
    "withdraw": _l("Bemærkning til institutionen"),
    "cancel": _l("Begrundelse for aflysningen"),
}
TEXT_REQUIRED: dict[str, Any] = {
    "request_changes": _l("Skriv, hvad organisationen skal ændre."),
    "refuse": _l("Skriv en begrundelse for afvisningen. Organisationen får den at se."),
    "cancel": _l("Skriv, hvorfor aktiviteten aflyses. Institutionen får det at vide."),
}
GENERIC_TEXT_REQUIRED = _l("Skriv en begrundelse eller besked.")


class ActionForm(PortalForm):
    """One action on the activity: which, a text, and the version the user saw."""

    action = HiddenChoiceField(
        _l("Handling"),
        choices=[(action, action) for action in BUTTON_ACTIONS],
        validators=[InputRequired(_l("Vælg en handling."))],
    )
    text = TextAreaField(
        _l("Tekst"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3},
    )
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler aktivitetens version. Genindlæs siden."))],
    )

    @classmethod
    def for_action(cls, action: str, version: int) -> ActionForm:
        """An empty form for one action, for the activity page (not bound to the request)."""
        form = cls(formdata=None, action=action, version=version)
        form.prepare(action)
        return form

    def prepare(self, action: str | None = None) -> None:
        """Unique ids (one form per action on the page) and the action's own text label."""
        action = action or self.action.data
        if action not in BUTTON_ACTIONS:
            action = "action"  # a forged action never becomes part of an id
        unique_ids(self, action)
        # The macros render these as bare hidden inputs, without a link in the error summary.
        self.action.type = self.version.type = "HiddenField"
        self.text.label.text = TEXT_LABELS.get(action, self.text.label.text)
        if self.text_required(action) is not None:
            self.text.flags.required = True

    @staticmethod
    def text_required(action: str | None) -> Any | None:
        transition = activity_workflow.BY_ACTION.get(action or "")
        if transition is None or not transition.needs_text:
            return None
        return TEXT_REQUIRED.get(transition.action, GENERIC_TEXT_REQUIRED)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        message = self.text_required(self.action.data)
        if message and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, message]
            ok = False
        return ok


class MessageForm(PortalForm):
    """A message to the other side, without a change of state."""

    text = TextAreaField(
        _l("Besked"),
        filters=[strip],
        validators=[required(_l("Skriv en besked.")), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "message")


# --- the lists' filters (GET forms: they change nothing) ---------------------------------------

ALL = "all"


class FilterForm(StateFilterForm):
    """The organisation's list: which state."""

    states = tuple(ActivityState)


class QueueFilterForm(PortalForm):
    """The deciders' queue: which institution and which state (waiting by default)."""

    class Meta:
        csrf = False

    institution = SelectField(_l("Institution"), validators=[Optional()])
    state = SelectField(_l("Status"), default=ActivityState.SENT.value, validators=[Optional()])

    def prepare(self, institutions: Sequence[Institution]) -> None:
        self.institution.choices = [
            ("", _l("Alle mine institutioner")),
            *((str(i.id), i.name) for i in institutions),
        ]
        self.state.choices = [
            *((state.value, lazy_label(state)) for state in ActivityState),
            (ALL, _l("Alle")),
        ]

    def filters(self) -> tuple[uuid.UUID | None, ActivityState | None]:
        """The institution (None: all of the user's) and the state (None: all); an invalid
        value falls back to the default."""
        self.validate()
        institution = None
        if not self.institution.errors and self.institution.data:
            institution = uuid.UUID(self.institution.data)
        value = self.state.data if not self.state.errors else ActivityState.SENT.value
        if value == ALL:
            return institution, None
        if value not in {state.value for state in ActivityState}:
            value = ActivityState.SENT.value
        return institution, ActivityState(value)
