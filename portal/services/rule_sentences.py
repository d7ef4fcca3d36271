"""The rules that hold at an institution, written as plain Danish sentences for the people who
plan activities there ("Mindst 21 dages varsel", "Telefoner må ikke medbringes").

The sentences are made in the reader's language when called (inside a request).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.labels import label
from portal.models import DECLARATION_ORDER
from portal.services.rule_profiles import EffectiveRules


@dataclass(frozen=True)
class RuleLine:
    """One rule as a sentence; ``items`` lists what the sentence introduces (declarations,
    things that may be brought in)."""

    field: str
    text: str
    items: tuple[str, ...] = ()


def _notice(days: int) -> str:
    if days == 0:
        return _("Intet krav om varsel")
    return ngettext("Mindst %(num)d dags varsel", "Mindst %(num)d dages varsel", days)


def _declarations(kinds: frozenset[str]) -> RuleLine:
    names = tuple(label(kind) for kind in DECLARATION_ORDER if kind.value in kinds)
    if not names:
        return RuleLine("required_declarations", _("Ingen erklæringer kræves"))
    return RuleLine(
        "required_declarations",
        _("De frivillige skal have underskrevet den gældende version af:"),
        names,
    )


def _items(items: tuple[str, ...]) -> RuleLine:
    if not items:
        return RuleLine("allowed_items", _("Der må ikke medbringes genstande"))
    return RuleLine("allowed_items", _("Må medbringes:"), items)


def sentences(rules: EffectiveRules) -> list[RuleLine]:
    """Every rule of ``rules`` as a sentence, in the order an organisation plans by."""
    return [
        RuleLine("min_notice_days", _notice(rules.min_notice_days)),
        RuleLine(
            "max_participants",
            ngettext(
                "Højst %(num)d deltager fra organisationen",
                "Højst %(num)d deltagere fra organisationen",
                rules.max_participants,
            ),
        ),
        RuleLine(
            "access_required",
            _("Alle deltagere skal have gyldig adgang til institutionen på aktivitetens datoer")
            if rules.access_required
            else _("Deltagerne behøver ikke adgang til institutionen i forvejen"),
        ),
        RuleLine(
            "escort_required",
            _("Personale ledsager de frivillige")
            if rules.escort_required
            else _("Personale behøver ikke ledsage de frivillige"),
        ),
        _declarations(rules.required_declarations),
        RuleLine(
            "preparation_required",
            _("Organisationen skal have registreret, at den frivillige er forberedt")
            if rules.preparation_required
            else _("Forberedelse af de frivillige behøver ikke være registreret"),
        ),
        RuleLine(
            "child_certificate_required",
            _("Børneattest kræves, når børn under 15 år deltager")
            if rules.child_certificate_required
            else _("Børneattest kræves ikke"),
        ),
        _items(rules.allowed_items),
        RuleLine(
            "phones_allowed",
            _("Telefoner må medbringes")
            if rules.phones_allowed
            else _("Telefoner må ikke medbringes"),
        ),
        RuleLine(
            "access_validity_days",
            ngettext(
                "Adgang til institutionen gives som udgangspunkt for %(num)d dag",
                "Adgang til institutionen gives som udgangspunkt for %(num)d dage",
                rules.access_validity_days,
            ),
        ),
    ]
