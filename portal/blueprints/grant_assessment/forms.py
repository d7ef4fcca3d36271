"""Forms of the officers' assessment pages: the round's steps, screening, the decision, a
message, and the state filter of the list. Each form that changes something carries the
version the officer saw, so a decision on a page gone stale is refused instead of overwriting."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.blueprints.grant_rounds.forms import KronerField
from portal.form_fields import HiddenChoiceField, unique_ids
from portal.form_fields import StateFilterForm as BaseStateFilter
from portal.forms import PortalForm, required, strip
from portal.labels import lazy_label
from portal.models import ApplicationState, GrantDecision
from portal.money import kroner

TEXT_MAX = 5000
TOO_LONG = _l("Skriv højst %(max)d tegn.")

ROUND_STEPS = ("start_assessment", "mark_decided", "finish")
SCREEN_ACTIONS = ("screen_pass", "screen_reject")
# The states of a sent application (drafts are the organisation's own and never listed).
SENT_STATES = tuple(state for state in ApplicationState if state != ApplicationState.DRAFT)


def _version(what: Any) -> IntegerField:
    return IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(what)],
    )


class StepForm(PortalForm):
    """One of the round's steps, with the round's version."""

    step = HiddenChoiceField(
        _l("Trin"),
        choices=[(step, step) for step in ROUND_STEPS],
        validators=[InputRequired(_l("Vælg et trin."))],
    )
    version = _version(_l("Siden mangler rundens version. Genindlæs siden."))

    def prepare(self, step: str | None = None) -> StepForm:
        step = step or self.step.data
        unique_ids(self, step if step in ROUND_STEPS else "step")
        self.step.type = self.version.type = "HiddenField"
        return self

    @classmethod
    def for_step(cls, step: str, version: int) -> StepForm:
        return cls(formdata=None, step=step, version=version).prepare(step)


TEXT_LABELS: dict[str, Any] = {
    "screen_pass": _l("Bemærkning til organisationen"),
    "screen_reject": _l("Hvilke formelle krav er ikke opfyldt?"),
}
REJECT_REASON_MISSING = _l(
    "Skriv, hvilke formelle krav ansøgningen ikke opfylder. Organisationen får begrundelsen at se."
)


class ScreenForm(PortalForm):
    """Screening: the formal requirements are met, or the application is rejected with a
    reason."""

    action = HiddenChoiceField(
        _l("Handling"),
        choices=[(action, action) for action in SCREEN_ACTIONS],
        validators=[InputRequired(_l("Vælg en handling."))],
    )
    text = TextAreaField(
        _l("Tekst"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3},
    )
    version = _version(_l("Siden mangler ansøgningens version. Genindlæs siden."))

    @classmethod
    def for_action(cls, action: str, version: int) -> ScreenForm:
        return cls(formdata=None, action=action, version=version).prepare(action)

    def prepare(self, action: str | None = None) -> ScreenForm:
        action = action or self.action.data
        if action not in SCREEN_ACTIONS:
            action = "screen"  # a forged action never becomes part of an id
        unique_ids(self, action.replace("_", "-"))
        self.action.type = self.version.type = "HiddenField"
        self.text.label.text = TEXT_LABELS.get(action, self.text.label.text)
        self.text.flags.required = action == "screen_reject"
        return self

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.action.data == "screen_reject" and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, REJECT_REASON_MISSING]
            ok = False
        return ok


class DecisionForm(PortalForm):
    """Granted (the amount asked), partly granted (an amount in kroner), or refused; the
    conditions and the reason go into the decision letter."""

    decision = RadioField(
        _l("Afgørelse"),
        choices=[(d.value, lazy_label(d)) for d in GrantDecision],
        validators=[InputRequired(_l("Vælg en afgørelse."))],
    )
    amount = KronerField(
        _l("Beløb ved delvist tilskud (kr.)"),
        validators=[Optional()],
        description=_l(
            "Kun ved delvist tilskud. Skriv beløbet i kroner, fx 125.000 eller 125.000,50."
        ),
    )
    conditions = TextAreaField(
        _l("Særlige betingelser"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l(
            "Kun ved tilskud. De står i afgørelsesbrevet sammen med de faste betingelser."
        ),
        render_kw={"rows": 3},
    )
    reason = TextAreaField(
        _l("Begrundelse"),
        filters=[strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l(
            "Skal udfyldes ved delvist tilskud og afslag. Organisationen læser den i afgørelsesbrevet."
        ),
        render_kw={"rows": 5},
    )
    version = _version(_l("Siden mangler ansøgningens version. Genindlæs siden."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "decision")
        self.version.type = "HiddenField"

    def prepare(self, requested_ore: int | None) -> DecisionForm:
        """The choices say what each gives, with the amount asked."""
        self.decision.choices = [
            (
                GrantDecision.GRANTED.value,
                _l("Bevilget: hele det søgte beløb, %(amount)s", amount=kroner(requested_ore)),
            ),
            (GrantDecision.PARTLY_GRANTED.value, _l("Delvist bevilget: et mindre beløb")),
            (GrantDecision.REFUSED.value, _l("Afslag")),
        ]
        return self

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        decision = self.decision.data
        if decision == GrantDecision.PARTLY_GRANTED.value and self.amount.ore is None:
            if not self.amount.errors:
                self.amount.errors = [
                    *self.amount.errors,
                    _l("Skriv beløbet, der gives ved et delvist tilskud."),
                ]
            ok = False
        if decision == GrantDecision.PARTLY_GRANTED.value and not self.reason.data:
            self.reason.errors = [
                *self.reason.errors,
                _l("Skriv, hvorfor der kun gives en del af beløbet."),
            ]
            ok = False
        if decision == GrantDecision.REFUSED.value and not self.reason.data:
            self.reason.errors = [*self.reason.errors, _l("Skriv begrundelsen for afslaget.")]
            ok = False
        return ok

    def chosen(self) -> GrantDecision:
        return GrantDecision(self.decision.data)


class MessageForm(PortalForm):
    """A message to the organisation, without a change of state."""

    text = TextAreaField(
        _l("Besked"),
        filters=[strip],
        validators=[required(_l("Skriv en besked.")), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "message")


class StateFilterForm(BaseStateFilter):
    """The list's filter: one state of a sent application, or all."""

    states = SENT_STATES
