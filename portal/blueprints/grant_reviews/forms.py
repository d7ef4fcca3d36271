"""The forms of the review pages: the officer's assignment table, the reviewer's scoring form
(one radio group and one comment per criterion of the round's rubric) and the conflict of
interest declaration."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.form_fields import MultiCheckboxField, unique_ids
from portal.forms import PortalForm, required, strip
from portal.models import RubricCriterion
from portal.services.grant_reviews import COMMENT_MAX, REASON_MAX

TOO_LONG = _l("Skriv højst %(max)d tegn.")
RELOAD = _l("Siden mangler oplysninger. Genindlæs siden, og prøv igen.")


class AssignmentsForm(PortalForm):
    """The ticked cells of the table (application:reviewer pairs) and a fingerprint of the
    assignments the officer saw (someone else's change in between is caught)."""

    pairs = MultiCheckboxField(_l("Bedømmere"), choices=[], validate_choice=True)
    fingerprint = HiddenField(validators=[InputRequired(RELOAD)])

    def prepare(self, editable: Sequence[str]) -> None:
        self.pairs.choices = [(key, key) for key in editable]
        self.fingerprint.type = "HiddenField"


class ConflictForm(PortalForm):
    """The reviewer's declaration of a conflict of interest (cannot be taken back)."""

    reason = TextAreaField(
        _l("Hvorfor er du inhabil?"),
        description=_l(
            "Fx at du sidder i organisationens bestyrelse, er ansat der eller er i familie med en af projektets folk."
        ),
        filters=[strip],
        validators=[
            required(_l("Skriv, hvorfor du er inhabil.")),
            Length(max=REASON_MAX, message=TOO_LONG),
        ],
        render_kw={"rows": 3},
    )
    confirm = BooleanField(
        _l(
            "Jeg er inhabil. Jeg ved, at jeg derefter ikke kan se eller bedømme ansøgningen, og at det ikke kan fortrydes."
        ),
        validators=[
            InputRequired(_l("Sæt kryds for at bekræfte, at du er inhabil.")),
        ],
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(RELOAD)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unique_ids(self, "conflict")
        self.version.type = "HiddenField"


def score_name(criterion: RubricCriterion) -> str:
    return f"score_{criterion.id.hex}"


def comment_name(criterion: RubricCriterion) -> str:
    return f"comment_{criterion.id.hex}"


class ScoreForm(PortalForm):
    """The scores: the fields per criterion are added by ``for_criteria``."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(RELOAD)])
    save = SubmitField(_l("Gem"))
    complete = SubmitField(_l("Gem og markér som færdig"))

    criteria: list[RubricCriterion]

    @classmethod
    def for_criteria(
        cls, criteria: Sequence[RubricCriterion], language: str, **kwargs: Any
    ) -> ScoreForm:
        """A form with a radio group (1..scale) and a comment for each criterion."""

        class RoundScoreForm(cls):  # type: ignore[valid-type,misc]
            pass

        for criterion in criteria:
            name = criterion.name_for(language)
            top = criterion.scale_max
            choices = [
                (
                    n,
                    _l("%(n)d (lavest)", n=n)
                    if n == 1
                    else _l("%(n)d (højest)", n=n)
                    if n == top
                    else str(n),
                )
                for n in range(1, top + 1)
            ]
            setattr(
                RoundScoreForm,
                score_name(criterion),
                RadioField(name, choices=choices, coerce=int, validators=[Optional()]),
            )
            setattr(
                RoundScoreForm,
                comment_name(criterion),
                TextAreaField(
                    _l("Bemærkning til %(criterion)s", criterion=name),
                    filters=[strip],
                    validators=[Optional(), Length(max=COMMENT_MAX, message=TOO_LONG)],
                    render_kw={"rows": 3},
                ),
            )
        form = RoundScoreForm(**kwargs)
        form.criteria = list(criteria)
        for criterion in criteria:
            # Needed to finish the review (the service says so); not marked "(frivilligt)".
            form.score_field(criterion).flags.required = True
        form.version.type = "HiddenField"
        return form

    def score_field(self, criterion: RubricCriterion) -> Any:
        return self[score_name(criterion)]

    def comment_field(self, criterion: RubricCriterion) -> Any:
        return self[comment_name(criterion)]

    def values(self) -> dict[uuid.UUID, tuple[int | None, str]]:
        return {
            criterion.id: (
                self.score_field(criterion).data,
                self.comment_field(criterion).data or "",
            )
            for criterion in self.criteria
        }

    def show(self, problems: dict[Any, Any]) -> None:
        """The service's problems, each at its criterion's score or comment."""
        by_id = {c.id: c for c in self.criteria}
        for key, message in problems.items():
            criterion_id, part = key if isinstance(key, tuple) else (key, "score")
            criterion = by_id.get(criterion_id)
            if criterion is None:
                self.form_errors.append(message)
                continue
            target = (
                self.comment_field(criterion) if part == "comment" else self.score_field(criterion)
            )
            target.errors = [*target.errors, message]


def score_data(scores: Sequence[Any]) -> dict[str, Any]:
    """The saved scores as form data (for a form not bound to the request)."""
    data: dict[str, Any] = {}
    for score in scores:
        data[f"score_{score.criterion_id.hex}"] = score.score
        data[f"comment_{score.criterion_id.hex}"] = score.comment
    return data


class RoundReviewersForm(PortalForm):
    """The round's reviewers, changed while the round runs (a draft's edit page does it too)."""

    reviewers = MultiCheckboxField(_l("Rundens bedømmere"), choices=[], coerce=str)
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(RELOAD)])

    def prepare(self, candidates: Sequence[Any]) -> None:
        self.reviewers.choices = [
            (str(user.id), f"{user.name} ({user.email})") for user in candidates
        ]
