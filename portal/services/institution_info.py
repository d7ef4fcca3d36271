"""What staff and organisations read about institutions: a searchable list, and one
institution's details with the rules that hold there and in each of its sections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from portal import db
from portal.auth.permissions import can_decide_at, visible_institutions
from portal.models import AreaOffice, Institution, InstitutionSection, Role, User
from portal.services.rule_profiles import effective_rules
from portal.services.rule_sentences import RuleLine, sentences


def area_offices() -> list[AreaOffice]:
    return list(db.session.scalars(select(AreaOffice).order_by(AreaOffice.name)))


def search(user: User, text: str = "", area: str = "") -> Select[Any]:
    """The institutions ``user`` may see, by name; ``text`` is a part of the name (or town),
    ``area`` an area office's code."""
    query = visible_institutions(user).join(Institution.area_office).order_by(Institution.name)
    text = text.strip()
    if text:
        pattern = f"%{text}%"
        query = query.where(Institution.name.ilike(pattern) | Institution.city.ilike(pattern))
    if area:
        query = query.where(AreaOffice.code == area)
    return query


@dataclass(frozen=True)
class SectionRules:
    section: InstitutionSection
    rules: list[RuleLine]
    same_as_institution: bool


@dataclass(frozen=True)
class InstitutionDetails:
    institution: Institution
    rules: list[RuleLine]
    sections: list[SectionRules]
    shows_inactive_sections: bool


def details(institution: Institution, user: User) -> InstitutionDetails:
    """The institution's rules in sentences and its sections with theirs. Inactive sections
    are shown to admin, DPO and the institution's deciders only (marked as such)."""
    overall = effective_rules(institution)
    shows_inactive = bool(user.has_role(Role.ADMIN, Role.DPO) or can_decide_at(user, institution))
    sections = []
    for section in institution.sections:
        if not section.active and not shows_inactive:
            continue
        rules = effective_rules(institution, section)
        sections.append(SectionRules(section, sentences(rules), rules == overall))
    return InstitutionDetails(institution, sentences(overall), sections, shows_inactive)
