"""Forms of the area office's volunteer pages: the queue's search, the CPR reveal, the check's
outcome, access per institution, revocation, and the volunteer's withdrawal of consent."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.forms import PortalForm, required, strip
from portal.labels import lazy_label
from portal.models import CheckOutcome
from portal.services.clearance import REASON_MAX, REVOKE_REASON_MAX

AWAITING = "awaiting"
CLEARED = "cleared"
EXPIRING = "expiring"
ALL = "all"
TABS = (AWAITING, CLEARED, EXPIRING, ALL)


class QueueFilterForm(PortalForm):
    """The queue's search (a GET form: it changes nothing); the tab travels as a hidden field."""

    class Meta:
        csrf = False

    q = StringField(_l("Søg efter navn"), filters=[strip], validators=[Optional(), Length(max=100)])
    tab = HiddenField(default=AWAITING)

    def filters(self) -> dict[str, str]:
        """The search and tab to apply; an invalid value falls back to the default."""
        self.validate()
        tab = self.tab.data if self.tab.data in TABS else AWAITING
        return {"q": "" if self.q.errors else (self.q.data or ""), "tab": tab}


class RevealForm(PortalForm):
    """Only the CSRF token: revealing is a POST, so it is never a link that can be replayed."""


class OutcomeForm(PortalForm):
    outcome = RadioField(
        _l("Resultat af tjekket"),
        choices=[(outcome.value, lazy_label(outcome)) for outcome in CheckOutcome],
        validators=[InputRequired(_l("Vælg resultatet af tjekket."))],
    )
    reason = TextAreaField(
        _l("Begrundelse for den konkrete vurdering"),
        filters=[strip],
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l(
            "Kun ved \u201dGodkendt efter konkret vurdering\u201d, højst %(max)d tegn. Skriv aldrig oplysninger fra Kriminalregistret. Den frivillige og organisationen ser ikke begrundelsen.",
            max=REASON_MAX,
        ),
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )
    check_date = DateField(
        _l("Dato for tjekket"),
        validators=[InputRequired(_l("Skriv datoen for tjekket."))],
        description=_l("Den dag, du slog op i Kriminalregistret."),
    )
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(_l("Siden mangler den frivilliges version. Genindlæs siden."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The macros render it as a bare hidden input (nothing to focus in the error summary).
        self.version.type = "HiddenField"

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.outcome.data == CheckOutcome.CLEARED_AFTER_ASSESSMENT and not self.reason.data:
            self.reason.errors = [
                *self.reason.errors,
                _l("Skriv en kort begrundelse for den konkrete vurdering."),
            ]
            ok = False
        return ok


class GrantForm(PortalForm):
    # Choices are checked by the service, which can say why an institution cannot be chosen.
    institutions = SelectMultipleField(
        _l("Institutioner"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(_l("Vælg mindst én institution."))],
        description=_l(
            "Vælg en eller flere. Under hver står, hvor længe adgangen som standard gælder."
        ),
    )
    valid_until = DateField(
        _l("Udløbsdato"),
        validators=[Optional()],
        description=_l(
            "Lad feltet stå tomt for at bruge standarden for hver institution. En dato gælder for alle de valgte institutioner og kan ikke ligge senere end den længste tilladte."
        ),
    )


class RevokeForm(PortalForm):
    reason = TextAreaField(
        _l("Begrundelse"),
        filters=[strip],
        validators=[
            required(_l("Skriv en begrundelse for tilbagekaldelsen.")),
            Length(max=REVOKE_REASON_MAX),
        ],
        description=_l(
            "Den frivillige og organisationen får begrundelsen. Skriv aldrig oplysninger fra Kriminalregistret."
        ),
        render_kw={"rows": 3},
    )

    def unique_ids(self, prefix: str) -> RevokeForm:
        """The page holds one revoke form per grant: each field needs an id of its own."""
        for field in self:
            field.id = f"{prefix}-{field.name}".replace("_", "-")
            field.label.field_id = field.id
        return self


class WithdrawForm(PortalForm):
    """Only the CSRF token: the page itself is the confirmation."""
