"""Form fields and helpers shared by the blueprints' forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.dates import parse_day
from portal.forms import PortalForm

BAD_DATE = _l("Skriv datoen som dag.måned.år, fx 12.03.2027.")


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (the forms macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DayField(DateField):
    """A date typed the Danish way (12.03.2027) or as a date picker sends it (2027-03-12)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = " ".join(valuelist).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        self.data = parse_day(text)
        if self.data is None:
            raise ValueError(BAD_DATE)

    def _value(self) -> str:
        # The input is type="date", which shows only an ISO value.
        if self.data is not None:
            return str(self.data.isoformat())
        return " ".join(self.raw_data) if self.raw_data else ""


class HiddenChoiceField(SelectField):
    """A choice the page fixes (hidden), still checked against its choices when posted."""

    widget = HiddenInput()

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


def unique_ids(form: PortalForm, prefix: str) -> None:
    """Several forms share a page: give each field (and its label) an id of its own."""
    for field in form:
        field.id = f"{prefix}-{field.name}".replace("_", "-")
        field.label.field_id = field.id


class StateFilterForm(PortalForm):
    """A list's filter by state (a GET form: it changes nothing). Subclasses name the states
    offered in ``states``; "Alle" comes first, and an unknown value counts as no filter."""

    class Meta:
        csrf = False

    states: tuple[Any, ...] = ()
    state = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from portal.labels import lazy_label

        super().__init__(*args, **kwargs)
        self.state.choices = [("", _l("Alle")), *((s.value, lazy_label(s)) for s in self.states)]

    def chosen_state(self) -> Any:
        """The state to show (a member of ``states``), or None for all."""
        self.validate()
        by_value = {state.value: state for state in self.states}
        return None if self.state.errors else by_value.get(self.state.data)
