"""Reference data: loading the seed file and the admin's edits (each audited)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal import audit, db
from portal.models import (
    AreaOffice,
    DeclarationKind,
    DeclarationVersion,
    Institution,
    InstitutionKind,
    Municipality,
    RuleProfile,
    SecurityLevel,
    TermsKind,
    TermsVersion,
)

DATA = Path(__file__).resolve().parent.parent / "data"
REFERENCE_FILE = DATA / "reference.json"
TERMS_FILE = DATA / "terms.json"
DECLARATIONS_FILE = DATA / "declarations.json"
RULE_PROFILES_FILE = DATA / "rule_profiles.json"


def load_reference(path: Path = REFERENCE_FILE) -> dict[str, int]:
    """Insert what the data file has and the database lacks; never overwrite an admin's edits.

    Safe to run on every deployment: rows are matched on their natural keys (code or name).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    created = {
        "area_offices": 0,
        "security_levels": 0,
        "municipalities": 0,
        "institutions": 0,
        "terms_versions": 0,
        "declaration_versions": 0,
        "rule_profiles": 0,
    }

    offices = {o.code: o for o in db.session.scalars(select(AreaOffice))}
    for row in data["area_offices"]:
        if row["code"] not in offices:
            offices[row["code"]] = AreaOffice(**row)
            db.session.add(offices[row["code"]])
            created["area_offices"] += 1

    levels = {lvl.code: lvl for lvl in db.session.scalars(select(SecurityLevel))}
    for row in data["security_levels"]:
        if row["code"] not in levels:
            levels[row["code"]] = SecurityLevel(**row)
            db.session.add(levels[row["code"]])
            created["security_levels"] += 1
    db.session.flush()

    municipalities = {m.name: m for m in db.session.scalars(select(Municipality))}
    for row in data["municipalities"]:
        if row["name"] not in municipalities:
            municipality = Municipality(
                code=row["code"],
                name=row["name"],
                region=row["region"],
                area_office_id=offices[row["area_office"]].id,
            )
            municipalities[row["name"]] = municipality
            db.session.add(municipality)
            created["municipalities"] += 1
    db.session.flush()

    existing = set(db.session.scalars(select(Institution.name)))
    for row in data["institutions"]:
        if row["name"] in existing:
            continue
        db.session.add(
            Institution(
                name=row["name"],
                kind=InstitutionKind(row["kind"]),
                security_level_id=levels[row["security_level"]].id,
                area_office_id=offices[row["area_office"]].id,
                municipality_id=municipalities[row["municipality"]].id,
            )
        )
        created["institutions"] += 1
    db.session.flush()
    created["terms_versions"] = load_terms()
    created["declaration_versions"] = load_declarations()
    created["rule_profiles"] = load_rule_profiles()
    if any(created.values()):
        audit.record(
            "reference.loaded", object_type="reference", details=created, actor_label="system"
        )
    return created


def load_terms(path: Path = TERMS_FILE) -> int:
    """Add published versions of the terms that the database lacks; never change one."""
    data = json.loads(path.read_text(encoding="utf-8"))
    existing = {(t.kind.value, t.version) for t in db.session.scalars(select(TermsVersion))}
    added = 0
    for row in data["versions"]:
        if (row["kind"], row["version"]) in existing:
            continue
        text = row["text_da"]
        db.session.add(
            TermsVersion(
                kind=TermsKind(row["kind"]),
                version=row["version"],
                title_da=row["title_da"],
                title_en=row["title_en"],
                text_da=text,
                text_en=row["text_en"],
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
        )
        added += 1
    db.session.flush()
    return added


def load_declarations(path: Path = DECLARATIONS_FILE) -> int:
    """Add the declaration versions the database lacks; a published version is never changed."""
    data = json.loads(path.read_text(encoding="utf-8"))
    existing = {(d.kind.value, d.version) for d in db.session.scalars(select(DeclarationVersion))}
    added = 0
    for row in data["versions"]:
        if (row["kind"], row["version"]) in existing:
            continue
        db.session.add(
            DeclarationVersion(
                kind=DeclarationKind(row["kind"]),
                version=row["version"],
                title_da=row["title_da"],
                title_en=row["title_en"],
                text_da=row["text_da"],
                text_en=row["text_en"],
            )
        )
        added += 1
    db.session.flush()
    return added


def load_rule_profiles(path: Path = RULE_PROFILES_FILE) -> int:
    """Give each security level without a rule profile the example defaults from the file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    levels = {lvl.code: lvl for lvl in db.session.scalars(select(SecurityLevel))}
    covered = set(db.session.scalars(select(RuleProfile.security_level_id)))
    added = 0
    for row in data["profiles"]:
        level = levels.get(row["security_level"])
        if level is None or level.id in covered:
            continue
        values = {key: value for key, value in row.items() if key != "security_level"}
        db.session.add(RuleProfile(security_level_id=level.id, **values))
        added += 1
    db.session.flush()
    return added


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[str]]:
    changed = {}
    for key, value in values.items():
        old = getattr(obj, key)
        if old != value:
            changed[key] = [str(old), str(value)]
            setattr(obj, key, value)
    return changed


def save_institution(institution: Institution | None, values: dict[str, Any]) -> Institution:
    """Create an institution (``institution`` None) or change one; audits the differences."""
    if institution is None:
        institution = Institution(**values)
        db.session.add(institution)
        db.session.flush()
        audit.record(
            "institution.created",
            object_type="institution",
            object_id=institution.id,
            details={"name": institution.name},
        )
        return institution
    changed = _changes(institution, values)
    if changed:
        db.session.flush()
        audit.record(
            "institution.updated",
            object_type="institution",
            object_id=institution.id,
            details=changed,
        )
    return institution


def save_municipality(municipality: Municipality, area_office: AreaOffice) -> None:
    changed = _changes(municipality, {"area_office_id": area_office.id})
    if changed:
        audit.record(
            "municipality.updated",
            object_type="municipality",
            object_id=municipality.id,
            details={"area_office": area_office.code, "name": municipality.name},
        )


def save_area_office(office: AreaOffice, values: dict[str, Any]) -> None:
    changed = _changes(office, values)
    if changed:
        audit.record(
            "area_office.updated", object_type="area_office", object_id=office.id, details=changed
        )
