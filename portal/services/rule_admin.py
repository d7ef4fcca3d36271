"""The admin's editing of the rule profiles (one per security level) and of an institution's
tightening of its level's profile, each change audited with the fields' old and new values.

The seeded profiles are examples that the Prison and Probation Service must set. An institution
may only tighten its level: a value that would loosen it is refused here, naming the field, and
``rule_profiles.tighten`` ignores such a value anyway if one is ever stored (or the level is
later tightened past it).

Each edit page carries a fingerprint of the values it showed ("as seen"); a save whose
fingerprint no longer matches is refused, so one admin cannot silently overwrite another's
change made in the meantime. The rows are read ``FOR UPDATE`` (on PostgreSQL) while saving, so
two saves at the same moment are checked one after the other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit, db
from portal.labels import label
from portal.models import (
    DECLARATION_ORDER,
    DeclarationKind,
    Institution,
    InstitutionRules,
    RuleProfile,
    SecurityLevel,
)
from portal.services import rule_profiles

FIELDS = (
    "access_validity_days",
    "preparation_required",
    "min_notice_days",
    "max_participants",
    "access_required",
    "required_declarations",
    "escort_required",
    "allowed_items",
    "phones_allowed",
    "child_certificate_required",
)
FIELD_LABELS: dict[str, Any] = {
    "access_validity_days": _l("Adgangens gyldighed"),
    "preparation_required": _l("Forberedelse af den frivillige skal være registreret"),
    "min_notice_days": _l("Mindste varsel for en aktivitet"),
    "max_participants": _l("Højst antal deltagere fra organisationen"),
    "access_required": _l("Deltagerne skal have gyldig adgang til institutionen"),
    "required_declarations": _l("Erklæringer, der skal være underskrevet i gældende version"),
    "escort_required": _l("Ledsagelse af personale"),
    "allowed_items": _l("Genstande, der må medbringes"),
    "phones_allowed": _l("Mobiltelefoner"),
    "child_certificate_required": _l("Børneattest, når børn under 15 år deltager"),
}
# The requirements an institution may add (never remove); phones are the other way round.
REQUIREMENTS = (
    "preparation_required",
    "access_required",
    "escort_required",
    "child_certificate_required",
)
# The CHECK constraints of rule_profile; an institution's own numbers keep to them too.
RANGES = {
    "access_validity_days": (1, 1830),
    "min_notice_days": (0, 365),
    "max_participants": (1, 500),
}
MAX_ITEMS = 30
MAX_ITEM_LENGTH = 100
NOTE_MAX = 2000


class RuleAdminError(Exception):
    """A refused save, with a message for the admin (and the field it concerns, if one)."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class ChangedMeanwhile(RuleAdminError):
    """Someone else saved these rules after the admin opened the page."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Reglerne er ændret af en anden, mens du havde siden åben. Intet er gemt. Se de gemte værdier nu, ret dine ændringer til, og gem igen."
            )
        )


class InvalidRules(RuleAdminError):
    """One or more values are refused; ``problems`` lists (field, message) for each."""

    def __init__(self, problems: list[tuple[str, Any]]) -> None:
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


# --- values ----------------------------------------------------------------------------------


def _ordered_kinds(kinds: Any) -> list[DeclarationKind]:
    """Known declaration kinds in signing order. Members are strings (StrEnum): they compare
    equal to, and are stored in JSON as, their values; templates can still ``|label`` them."""
    wanted = {str(kind) for kind in kinds or ()}
    return [kind for kind in DECLARATION_ORDER if kind.value in wanted]


def profile_values(profile: RuleProfile) -> dict[str, Any]:
    """The rule values of a profile as plain data (lists copied, declarations in signing order)."""
    values = {field: getattr(profile, field) for field in FIELDS}
    values["required_declarations"] = _ordered_kinds(profile.required_declarations)
    values["allowed_items"] = list(profile.allowed_items or ())
    return values


def own_values(own: InstitutionRules | None) -> dict[str, Any]:
    """An institution's stored tightening as plain data; blank (None, []) means "as the level"."""
    if own is None:
        return {**dict.fromkeys(FIELDS), "required_declarations": [], "note": ""}
    values = {field: getattr(own, field) for field in FIELDS}
    values["required_declarations"] = _ordered_kinds(own.required_declarations)
    values["allowed_items"] = None if own.allowed_items is None else list(own.allowed_items)
    values["note"] = own.note or ""
    return values


def effective_values(rules: rule_profiles.EffectiveRules) -> dict[str, Any]:
    """The effective rules as the same plain data as ``profile_values``."""
    values = {field: getattr(rules, field) for field in FIELDS}
    values["required_declarations"] = _ordered_kinds(rules.required_declarations)
    values["allowed_items"] = list(rules.allowed_items)
    return values


def fingerprint(*parts: Any) -> str:
    """A short checksum of the values an edit page showed."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def parse_items(text: str) -> list[str]:
    """One item per line: trimmed, empty lines dropped, a repeated item kept once."""
    items: list[str] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        item = " ".join(line.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def items_problem(items: list[str]) -> str | None:
    """Why a list of allowed items is refused (too many, or one too long), or None."""
    if len(items) > MAX_ITEMS:
        return str(
            _l(
                "Skriv højst %(max)d genstande (der er %(num)d).",
                max=MAX_ITEMS,
                num=len(items),
            )
        )
    for number, item in enumerate(items, start=1):
        if len(item) > MAX_ITEM_LENGTH:
            return str(
                _l(
                    "Genstand nr. %(num)d er for lang: højst %(max)d tegn.",
                    num=number,
                    max=MAX_ITEM_LENGTH,
                )
            )
    return None


def _range_problems(values: dict[str, Any], *, blank_allowed: bool) -> list[tuple[str, Any]]:
    problems: list[tuple[str, Any]] = []
    for field, (low, high) in RANGES.items():
        value = values.get(field)
        if value is None and blank_allowed:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(
                (field, _l("Skriv et helt tal mellem %(low)d og %(high)d.", low=low, high=high))
            )
    return problems


def _kind_problems(values: dict[str, Any]) -> list[tuple[str, Any]]:
    known = {kind.value for kind in DeclarationKind}
    if any(str(kind) not in known for kind in values.get("required_declarations") or ()):
        return [("required_declarations", _l("Vælg blandt de erklæringer, der findes."))]
    return []


# --- the profile of a security level ---------------------------------------------------------


def profile_for(level: SecurityLevel) -> RuleProfile | None:
    return db.session.scalar(select(RuleProfile).where(RuleProfile.security_level_id == level.id))


def shown_profile(level: SecurityLevel) -> dict[str, Any]:
    """The values in force for a level: its profile, or the strict fallback when it has none."""
    return profile_values(profile_for(level) or rule_profiles.FALLBACK)


def profile_fingerprint(profile: RuleProfile | None) -> str:
    return fingerprint("profile", profile_values(profile) if profile else None)


def save_profile(
    level: SecurityLevel, values: dict[str, Any], *, seen: str | None = None
) -> dict[str, list[Any]]:
    """Set a level's rule profile (creating it from the strict fallback if the level has none).

    ``values`` holds every field of ``FIELDS``. Raises ``ChangedMeanwhile`` when ``seen`` is
    given and no longer matches, ``InvalidRules`` for values outside the allowed ranges. Audits
    "rule_profile.updated" with each changed field as [old, new]; returns those changes.
    """
    profile = db.session.scalar(
        select(RuleProfile)
        .where(RuleProfile.security_level_id == level.id)
        .with_for_update(of=RuleProfile)
    )
    if seen is not None and seen != profile_fingerprint(profile):
        raise ChangedMeanwhile()
    new = {field: values[field] for field in FIELDS}
    problems = _range_problems(new, blank_allowed=False) + _kind_problems(new)
    new["required_declarations"] = _ordered_kinds(new["required_declarations"])
    new["allowed_items"] = list(new["allowed_items"] or ())
    problem = items_problem(new["allowed_items"])
    if problem:
        problems.append(("allowed_items", problem))
    if problems:
        raise InvalidRules(problems)

    created = profile is None
    old = profile_values(profile or rule_profiles.FALLBACK)
    if profile is None:
        profile = RuleProfile(security_level_id=level.id, **old)
        db.session.add(profile)
    changes = {field: [old[field], new[field]] for field in FIELDS if old[field] != new[field]}
    for field in changes:
        setattr(profile, field, new[field])
    db.session.flush()
    if changes or created:
        audit.record(
            "rule_profile.updated",
            object_type="rule_profile",
            object_id=profile.id,
            details={"security_level": level.code, "created": created, "changes": changes},
        )
    return changes


# --- an institution's tightening -------------------------------------------------------------


def institution_rules_for(institution: Institution) -> InstitutionRules | None:
    return rule_profiles.institution_rules_of(institution)


def institution_fingerprint(profile: RuleProfile, own: InstitutionRules | None) -> str:
    """Covers the level's values too: the comparison the admin saw must still be the one saved."""
    return fingerprint("institution", profile_values(profile), own_values(own) if own else None)


# What each requirement is, for "the level requires ..." (Danish word order, lower case).
_REQUIREMENT_NAMES: dict[str, Any] = {
    "preparation_required": _l("registreret forberedelse af den frivillige"),
    "access_required": _l("gyldig adgang til institutionen"),
    "escort_required": _l("ledsagelse af personale"),
    "child_certificate_required": _l("børneattest, når børn under 15 år deltager"),
}


def loosenings(profile: RuleProfile, values: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each value that would loosen the level's ``profile``, as (field, message saying what).

    ``values`` are as the admin chose them: numbers or None; requirements True, None or False
    (False: not required); ``required_declarations`` every kind required at the institution;
    ``allowed_items`` None (as the level) or the items allowed there; ``phones_allowed``.
    """
    level = profile_values(profile)
    problems: list[tuple[str, Any]] = []

    def refuse(field: str, message: Any) -> None:
        problems.append((field, message))

    validity = values.get("access_validity_days")
    if validity is not None and validity > level["access_validity_days"]:
        refuse(
            "access_validity_days",
            _l(
                "Adgangen kan ikke gælde længere end niveauets %(num)d dage. En institution kan kun stramme niveauets regler.",
                num=level["access_validity_days"],
            ),
        )
    notice = values.get("min_notice_days")
    if notice is not None and notice < level["min_notice_days"]:
        refuse(
            "min_notice_days",
            _l(
                "Varslet kan ikke være kortere end niveauets %(num)d dage. En institution kan kun stramme niveauets regler.",
                num=level["min_notice_days"],
            ),
        )
    participants = values.get("max_participants")
    if participants is not None and participants > level["max_participants"]:
        refuse(
            "max_participants",
            _l(
                "Der kan ikke være flere deltagere end niveauets %(num)d. En institution kan kun stramme niveauets regler.",
                num=level["max_participants"],
            ),
        )
    for field in REQUIREMENTS:
        if values.get(field) is False and level[field]:
            refuse(
                field,
                _l(
                    "Niveauet kræver %(what)s, og en institution kan ikke fjerne kravet.",
                    what=_REQUIREMENT_NAMES[field],
                ),
            )
    chosen = set(values.get("required_declarations") or ())
    missing = [kind for kind in level["required_declarations"] if kind.value not in chosen]
    if missing:
        refuse(
            "required_declarations",
            _l(
                "Niveauet kræver %(kinds)s, og en institution kan ikke fjerne kravet.",
                kinds=", ".join(f"«{label(kind)}»" for kind in missing),
            ),
        )
    extra = [
        item for item in values.get("allowed_items") or () if item not in level["allowed_items"]
    ]
    if extra:
        refuse(
            "allowed_items",
            _l(
                "«%(item)s» er ikke tilladt på niveauet. En institution kan kun vælge blandt niveauets genstande.",
                item=extra[0],
            ),
        )
    if values.get("phones_allowed") and not level["phones_allowed"]:
        refuse(
            "phones_allowed",
            _l("Niveauet tillader ikke mobiltelefoner, og det kan en institution ikke ændre."),
        )
    return problems


def _to_store(profile: RuleProfile, values: dict[str, Any]) -> dict[str, Any]:
    """What is stored: declarations only beyond the level's (so a prefilled tick pins nothing),
    and the allowed items as None when every item of the level is kept."""
    level = profile_values(profile)
    stored = {field: values.get(field) for field in FIELDS}
    stored["required_declarations"] = [
        kind
        for kind in _ordered_kinds(values.get("required_declarations"))
        if kind not in level["required_declarations"]
    ]
    items = values.get("allowed_items")
    if items is not None:
        kept = [item for item in level["allowed_items"] if item in set(items)]
        stored["allowed_items"] = None if kept == level["allowed_items"] else kept
    stored["note"] = (values.get("note") or "").strip()
    return stored


def _blank(stored: dict[str, Any]) -> bool:
    return (
        all(stored[field] is None for field in FIELDS if field != "required_declarations")
        and not stored["required_declarations"]
        and not stored["note"]
    )


def save_institution_rules(
    institution: Institution, values: dict[str, Any], *, seen: str | None = None
) -> dict[str, list[Any]]:
    """Set an institution's tightening of its level's profile (see ``loosenings`` for ``values``,
    plus ``note``). Blank everywhere removes the institution's own rules.

    Raises ``ChangedMeanwhile`` when ``seen`` no longer matches and ``InvalidRules`` naming each
    field that would loosen the level (or is out of range). Audits "institution_rules.updated"
    with each changed field as [old, new]; returns those changes.
    """
    profile = rule_profiles.profile_of(institution)
    own = db.session.scalar(
        select(InstitutionRules)
        .where(InstitutionRules.institution_id == institution.id)
        .with_for_update(of=InstitutionRules)
    )
    if seen is not None and seen != institution_fingerprint(profile, own):
        raise ChangedMeanwhile()
    problems = _range_problems(values, blank_allowed=True) + _kind_problems(values)
    if len(values.get("note") or "") > NOTE_MAX:
        problems.append(("note", _l("Skriv højst %(max)d tegn.", max=NOTE_MAX)))
    problems += loosenings(profile, values)
    if problems:
        raise InvalidRules(problems)

    old = own_values(own)
    new = _to_store(profile, values)
    changes = {key: [old[key], new[key]] for key in (*FIELDS, "note") if old[key] != new[key]}
    removed = _blank(new)
    if removed and own is not None:
        db.session.delete(own)
    elif not removed:
        if own is None:
            own = InstitutionRules(institution_id=institution.id)
            db.session.add(own)
        for key, value in new.items():
            setattr(own, key, value)
    db.session.flush()
    if changes:
        audit.record(
            "institution_rules.updated",
            object_type="institution",
            object_id=institution.id,
            details={
                "institution": institution.name,
                "security_level": institution.security_level.code,
                "removed": removed,
                "changes": changes,
            },
        )
    return changes


@dataclass(frozen=True)
class Tightening:
    """One value an institution sets itself, beside its level's; ``in_effect`` is False when
    the level is as strict or stricter already (the stored value then changes nothing)."""

    field: str
    own: Any
    level: Any
    in_effect: bool


def tightenings(profile: RuleProfile, own: InstitutionRules | None) -> list[Tightening]:
    """What an institution sets beyond its level, field by field."""
    if own is None:
        return []
    mine = own_values(own)
    level = profile_values(profile)
    effective = effective_values(rule_profiles.tighten(profile, own))
    found = []
    for field in FIELDS:
        value = mine[field]
        if value is None or (field == "required_declarations" and not value):
            continue
        found.append(Tightening(field, value, level[field], effective[field] != level[field]))
    return found


def institutions_with_rules() -> list[tuple[Institution, list[Tightening], str]]:
    """Every institution with rules of its own, by name: (institution, tightenings, note)."""
    rows = db.session.scalars(
        select(InstitutionRules).join(Institution).order_by(Institution.name)
    ).all()
    return [
        (row.institution, tightenings(rule_profiles.profile_of(row.institution), row), row.note)
        for row in rows
    ]


def levels() -> list[tuple[SecurityLevel, RuleProfile | None]]:
    """Every security level (strictest first) with its profile, or None where it has none."""
    profiles = {p.security_level_id: p for p in db.session.scalars(select(RuleProfile))}
    found = db.session.scalars(
        select(SecurityLevel).order_by(SecurityLevel.rank.desc(), SecurityLevel.name_da)
    )
    return [(level, profiles.get(level.id)) for level in found]


def institutions_at(level: SecurityLevel) -> list[Institution]:
    return list(
        db.session.scalars(
            select(Institution)
            .where(Institution.security_level_id == level.id)
            .order_by(Institution.name)
        )
    )
