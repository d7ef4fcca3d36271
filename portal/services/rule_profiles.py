"""The rules that hold at an institution: its security level's profile, tightened (never
loosened) by the institution's own rules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal import db
from portal.models import Institution, InstitutionRules, InstitutionSection, RuleProfile

# Used when a security level has no profile (an admin added a level without one): the strict end.
FALLBACK = RuleProfile(
    access_validity_days=365,
    preparation_required=True,
    min_notice_days=21,
    max_participants=2,
    access_required=True,
    required_declarations=["register_consent", "confidentiality", "security_rules"],
    escort_required=True,
    allowed_items=[],
    phones_allowed=False,
    child_certificate_required=True,
)


@dataclass(frozen=True)
class EffectiveRules:
    """The rules at one institution, as the rule checks read them."""

    access_validity_days: int
    preparation_required: bool
    min_notice_days: int
    max_participants: int
    access_required: bool
    required_declarations: frozenset[str]
    escort_required: bool
    allowed_items: tuple[str, ...]
    phones_allowed: bool
    child_certificate_required: bool


def profile_of(institution: Institution, section: InstitutionSection | None = None) -> RuleProfile:
    """The profile of the institution's level, or of the section's own level."""
    level_id = section.security_level_id if section is not None else institution.security_level_id
    profile = db.session.scalar(
        select(RuleProfile).where(RuleProfile.security_level_id == level_id)
    )
    return profile or FALLBACK


def institution_rules_of(institution: Institution) -> InstitutionRules | None:
    return db.session.scalar(
        select(InstitutionRules).where(InstitutionRules.institution_id == institution.id)
    )


def tighten(profile: RuleProfile, own: InstitutionRules | None) -> EffectiveRules:
    """Combine a level's profile with an institution's rules: the stricter value always wins,
    so a stored value that would loosen the level has no effect."""

    def stricter_min(level: int, value: int | None) -> int:
        return level if value is None else min(level, value)

    def stricter_max(level: int, value: int | None) -> int:
        return level if value is None else max(level, value)

    def required(level: bool, value: bool | None) -> bool:
        return level or bool(value)

    items = tuple(profile.allowed_items or ())
    if own is not None and own.allowed_items is not None:
        items = tuple(item for item in items if item in own.allowed_items)
    return EffectiveRules(
        access_validity_days=stricter_min(
            profile.access_validity_days, own.access_validity_days if own else None
        ),
        preparation_required=required(
            profile.preparation_required, own.preparation_required if own else None
        ),
        min_notice_days=stricter_max(profile.min_notice_days, own.min_notice_days if own else None),
        max_participants=stricter_min(
            profile.max_participants, own.max_participants if own else None
        ),
        access_required=required(profile.access_required, own.access_required if own else None),
        required_declarations=frozenset(profile.required_declarations or ())
        | frozenset(own.required_declarations if own else ()),
        escort_required=required(profile.escort_required, own.escort_required if own else None),
        allowed_items=items,
        # Phones are allowed only where both the level and the institution allow them.
        phones_allowed=profile.phones_allowed
        and (own is None or own.phones_allowed is None or own.phones_allowed),
        child_certificate_required=required(
            profile.child_certificate_required, own.child_certificate_required if own else None
        ),
    )


def effective_rules(
    institution: Institution, section: InstitutionSection | None = None
) -> EffectiveRules:
    """The rules that hold at ``institution`` (in ``section``, whose own security level then
    decides the profile) now; the institution's tightening holds in all its sections."""
    return tighten(profile_of(institution, section), institution_rules_of(institution))
