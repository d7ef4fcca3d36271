"""Forms of the grant pages: the payment, the change request and its decision, the report with
its accounts per budget line, the report's decision, closing and the voucher draw. Amounts are
typed in kroner the Danish way and become øre here (``portal.money``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.form_fields import DayField, HiddenChoiceField, unique_ids
from portal.forms import PortalForm, required, strip
from portal.money import MoneyError, parse_decimal, parse_kroner

TEXT_MAX = 10000
TOO_LONG = _l("Skriv højst %(max)d tegn.")
MONEY_KW = {"inputmode": "decimal", "autocomplete": "off"}


MISSING_VERSION = _l("Siden mangler oplysninger om, hvad du så. Genindlæs siden, og prøv igen.")


def version_field() -> IntegerField:
    return IntegerField(
        _l("Version"), widget=HiddenInput(), validators=[InputRequired(MISSING_VERSION)]
    )


def _kroner(field: Any) -> None:
    try:
        parse_kroner(field.data or "")
    except MoneyError as error:
        raise ValidationError(error.message) from None


def hidden(form: PortalForm, *names: str) -> None:
    """The macros render these as bare hidden inputs, without a link in the error summary."""
    for name in names:
        form[name].type = "HiddenField"


# --- payments --------------------------------------------------------------------------------


class PaymentForm(PortalForm):
    amount = StringField(
        _l("Beløb (kr.)"),
        filters=[strip],
        validators=[InputRequired(_l("Skriv beløbet i kroner, fx 50.000."))],
        render_kw=MONEY_KW,
    )
    paid_on = DayField(
        _l("Udbetalt den"),
        validators=[InputRequired(_l("Skriv datoen for udbetalingen."))],
    )
    requires_interim_report = BooleanField(
        _l("Raten kræver en godkendt delrapport"),
        description=_l(
            "Udbetalingen kan først registreres, når organisationen har fået en delrapport godkendt."
        ),
    )
    note = TextAreaField(
        _l("Bemærkning til organisationen"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        render_kw={"rows": 2},
    )

    def validate_amount(self, field: Any) -> None:
        _kroner(field)

    def amount_ore(self) -> int:
        return parse_kroner(self.amount.data or "")


# --- change requests -------------------------------------------------------------------------


class AmountForm(Form):
    """One budget line's new approved amount in a reallocation."""

    line_id = StringField(widget=HiddenInput())
    amount = StringField(_l("Nyt beløb (kr.)"), filters=[strip], render_kw=MONEY_KW)

    def validate_amount(self, field: Any) -> None:
        if not (field.data or "").strip():
            raise ValidationError(
                _l("Skriv det nye beløb for linjen (0, hvis den ikke skal have noget).")
            )
        _kroner(field)


class ChangeRequestForm(PortalForm):
    kind = HiddenChoiceField(
        _l("Slags ændring"),
        choices=[("reallocation", ""), ("extension", ""), ("activity", "")],
        validators=[InputRequired(_l("Vælg, hvad I vil ændre."))],
    )
    text = TextAreaField(
        _l("Hvad ønsker I ændret, og hvorfor?"),
        filters=[strip],
        validators=[
            required(_l("Skriv, hvad I ønsker ændret, og hvorfor.")),
            Length(max=TEXT_MAX, message=TOO_LONG),
        ],
        render_kw={"rows": 5},
    )
    new_period_end = DayField(_l("Ny slutdato for projektet"), validators=[Optional()])
    lines = FieldList(FormField(AmountForm), min_entries=0, max_entries=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hidden(self, "kind")

    def prepare(self, kind: str) -> None:
        """Only the fields of this kind of change count as required."""
        if kind == "extension":
            self.new_period_end.flags.required = True
        if kind != "reallocation":
            self.lines.entries = []
            self.lines.last_index = -1
        for entry in self.lines.entries:
            entry.form.amount.flags.required = True

    def validate_new_period_end(self, field: Any) -> None:
        if self.kind.data == "extension" and field.data is None and not field.errors:
            raise ValidationError(_l("Skriv den nye slutdato, fx 31.12.2028."))

    def reallocation(self) -> dict[str, int]:
        return {
            entry.form.line_id.data: parse_kroner(entry.form.amount.data or "")
            for entry in self.lines.entries
        }


DECISION_TEXT_LABELS: dict[str, Any] = {
    "approve": _l("Bemærkning til organisationen"),
    "refuse": _l("Begrundelse for afslaget"),
    "withdraw": _l("Bemærkning"),
    "ask_more": _l("Hvad mangler i rapporten?"),
}


class DecisionForm(PortalForm):
    """One step on a change request or a report: which, a text, and the version seen."""

    action = HiddenChoiceField(
        _l("Handling"),
        choices=[(a, a) for a in ("approve", "refuse", "withdraw", "ask_more")],
        validators=[InputRequired(_l("Vælg en handling."))],
    )
    text = TextAreaField(
        _l("Tekst"),
        filters=[strip],
        validators=[Optional(), Length(max=5000, message=TOO_LONG)],
        render_kw={"rows": 3},
    )
    version = version_field()

    @classmethod
    def for_action(cls, action: str, version: int, prefix: str) -> DecisionForm:
        form = cls(formdata=None, action=action, version=version)
        form.prepare(prefix)
        return form

    def prepare(self, prefix: str) -> None:
        action = self.action.data if self.action.data in DECISION_TEXT_LABELS else "action"
        unique_ids(self, f"{prefix}-{action}")
        hidden(self, "action", "version")
        self.text.label.text = DECISION_TEXT_LABELS.get(action, self.text.label.text)


class VersionForm(PortalForm):
    """A button that carries the version the user saw (withdraw, send, draw)."""

    version = version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hidden(self, "version")


# --- reports ---------------------------------------------------------------------------------


class NewReportForm(PortalForm):
    kind = HiddenChoiceField(
        _l("Slags rapport"),
        choices=[("interim", ""), ("final", "")],
        validators=[InputRequired(_l("Vælg, hvilken rapport I vil skrive."))],
    )


class ReportLineForm(Form):
    """Actual spending on one budget line. Empty means "not filled in yet" (0 is an amount)."""

    line_id = StringField(widget=HiddenInput())
    actual = StringField(_l("Faktisk forbrug (kr.)"), filters=[strip], render_kw=MONEY_KW)
    explanation = TextAreaField(
        _l("Forklaring på forskellen"),
        filters=[strip],
        validators=[Optional(), Length(max=5000, message=TOO_LONG)],
        render_kw={"rows": 2},
    )

    def validate_actual(self, field: Any) -> None:
        if (field.data or "").strip():
            _kroner(field)
        elif (self.explanation.data or "").strip():
            raise ValidationError(
                _l(
                    "Skriv det faktiske forbrug (0, hvis intet er brugt), så forklaringen kan gemmes."
                )
            )

    def actual_ore(self) -> int | None:
        text = (self.actual.data or "").strip()
        return parse_kroner(text) if text else None


class ReportForm(PortalForm):
    version = version_field()
    narrative = TextAreaField(
        _l("Beretning om projektet"),
        filters=[strip],
        validators=[Optional(), Length(max=50000, message=TOO_LONG)],
        description=_l(
            "Hvad lavede I, hvem nåede I, og hvordan gik det i forhold til det, I søgte om?"
        ),
        render_kw={"rows": 10},
    )
    volunteer_hours = StringField(
        _l("Frivillige timer i alt"),
        filters=[strip],
        validators=[Optional()],
        description=_l("Frivilliges timer i projektet, fx 312,5."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    lines = FieldList(FormField(ReportLineForm), min_entries=0, max_entries=100)
    audited_accounts = FileField(_l("Revideret regnskab"), validators=[Optional()])
    vouchers = FileField(_l("Bilag til bilagskontrol"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hidden(self, "version")

    def validate_volunteer_hours(self, field: Any) -> None:
        if not (field.data or "").strip():
            return
        try:
            parse_decimal(field.data, places=2)
        except MoneyError:
            raise ValidationError(_l("Skriv antallet af timer som et tal, fx 312,5.")) from None

    def hours(self) -> Decimal:
        text = (self.volunteer_hours.data or "").strip()
        return parse_decimal(text, places=2) if text else Decimal(0)


# --- closing ---------------------------------------------------------------------------------


class CloseForm(PortalForm):
    version = version_field()
    repayment = StringField(
        _l("Beløb, der skal betales tilbage (kr.)"),
        filters=[strip],
        validators=[InputRequired(_l("Skriv beløbet, der skal betales tilbage (0, hvis intet)."))],
        render_kw=MONEY_KW,
    )
    reason = TextAreaField(
        _l("Begrundelse, hvis beløbet afviger fra det beregnede"),
        filters=[strip],
        validators=[Optional(), Length(max=5000, message=TOO_LONG)],
        render_kw={"rows": 3},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hidden(self, "version")

    def validate_repayment(self, field: Any) -> None:
        _kroner(field)

    def repayment_ore(self) -> int:
        return parse_kroner(self.repayment.data or "")
