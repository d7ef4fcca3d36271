"""Every table that holds personal data declares it (DESIGN.md section 5; issue 8).

A table holds personal data when a column refers to a person (a foreign key to
``user_account`` or ``volunteer``) or is named like personal data (e-mail, name, phone, CPR,
IP address, free text people write about a case...). Such a table must have a complete
``__privacy__`` declaration that names those columns, and the declaration's columns must exist.
What looks personal but is not is allowlisted below, each with its reason.
"""

from __future__ import annotations

from dataclasses import fields

import pytest
from sqlalchemy import Boolean, Column, Table

import portal.models  # noqa: F401  (registers every table)
from portal.db import Base
from portal.privacy import PrivacyDeclaration
from portal.services.processing_record import ACTIVITIES, ACTIVITY_KEYS, declared_tables

# Tables whose rows are people.
PERSON_TABLES = frozenset({"user_account", "volunteer"})

# Column names that hold personal data wherever they appear.
PERSONAL_NAMES = frozenset(
    {
        "email",
        "name",
        "phone",
        "birth_date",
        "ip_address",
        "user_agent",
        "subject",  # an identity provider's id of a person
        "text",  # messages and notes people write in a case's history
        "comment",
        "note",
        "actor_label",  # the audit log's copy of who acted
    }
)
PERSONAL_PREFIXES = ("cpr",)
# Free text about a decision on a person or written by one, and contact details of someone.
PERSONAL_SUFFIXES = ("_email", "_phone", "_name", "_reason", "_note", "_text")

# Columns whose declaration needs an Art. 9/10 basis (or Databeskyttelsesloven § 8 / § 11):
# the CPR number and the outcome of the criminal-record check.
SPECIAL_PREFIXES = ("cpr",)
SPECIAL_COLUMNS = frozenset({"check_outcome", "check_reason"})

# Tables that look personal by their column names but hold no one's personal data.
NOT_PERSONAL_TABLES: dict[str, str] = {
    # The offices' and institutions' own switchboard numbers and functional mailboxes, and
    # places' names: reference data about authorities, not about people.
    "area_office": "the office's functional contact details, not a person's",
    "institution": "the institution's own name, address and switchboard, not a person's",
    "institution_section": "the name of a part of a prison",
    "municipality": "a municipality's name",
    # A budget line's text describes a cost ("Transport for 10 frivillige"), not a person.
    "budget_line": "the description of a cost in a budget",
    # The admin's note on why an institution tightens its rules; about rules, not people.
    "institution_rules": "a note about the institution's rules",
}

# Columns of declared tables that the name rules catch but that are not personal data.
NOT_PERSONAL_COLUMNS: dict[tuple[str, str], str] = {
    ("organisation", "name"): "the organisation's (a legal person's) name",
    ("organisation", "pending_name"): "the organisation's new name awaiting approval",
    ("processing_record_settings", "controller_name"): "the authority's name",
    ("declaration_version", "change_note"): "what changed in a declaration's text",
}


def _refers_to_person(column: Column) -> bool:  # type: ignore[type-arg]
    return any(fk.column.table.name in PERSON_TABLES for fk in column.foreign_keys)


def _named_personal(column: Column) -> bool:  # type: ignore[type-arg]
    if isinstance(column.type, Boolean):
        return False  # a yes/no flag such as brings_phone is not the phone number
    name = column.name
    return (
        name in PERSONAL_NAMES
        or name.startswith(PERSONAL_PREFIXES)
        or name.endswith(PERSONAL_SUFFIXES)
    )


def personal_columns(table: Table) -> list[str]:
    """The columns of ``table`` that hold personal data by the rules above."""
    return [
        column.name
        for column in table.columns
        if not column.primary_key and (_refers_to_person(column) or _named_personal(column))
    ]


def _declarations() -> dict[str, tuple[str, PrivacyDeclaration]]:
    return {t.table: (t.model, t.declaration) for t in declared_tables()}


DECLARED = _declarations()
TABLES = sorted(Base.metadata.tables.values(), key=lambda table: table.name)


def test_the_detection_finds_personal_data_where_it_is() -> None:
    """The rules see what they must (a guard against rules too loose to fail)."""
    tables = Base.metadata.tables
    assert "email" in personal_columns(tables["user_account"])
    assert "cpr_ciphertext" in personal_columns(tables["volunteer"])
    assert "created_by_id" in personal_columns(tables["calendar_feed"])
    assert "user_id" in personal_columns(tables["round_reviewer"])
    assert "brings_phone" not in personal_columns(tables["activity"])
    assert personal_columns(tables["retention_tally"]) == []
    assert personal_columns(tables["audit_checkpoint"]) == []


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_a_table_with_personal_data_is_declared(table: Table) -> None:
    found = personal_columns(table)
    if table.name in NOT_PERSONAL_TABLES:
        assert table.name not in DECLARED, f"{table.name} is declared and allowlisted"
        return
    if not found:
        return
    assert table.name in DECLARED, (
        f"{table.name} holds personal data ({', '.join(found)}) but its model has no "
        "__privacy__ declaration"
    )
    _model, declaration = DECLARED[table.name]
    undeclared = [
        column
        for column in found
        if column not in declaration.columns and (table.name, column) not in NOT_PERSONAL_COLUMNS
    ]
    assert not undeclared, (
        f"{table.name}: personal columns missing from the declaration's columns: "
        + ", ".join(undeclared)
    )


def test_the_allowlists_name_real_tables_and_columns() -> None:
    tables = Base.metadata.tables
    for name in NOT_PERSONAL_TABLES:
        assert name in tables, name
        # An allowlisted table that the rules no longer flag should leave the list.
        assert personal_columns(tables[name]), f"{name} needs no allowlisting any more"
    for table_name, column in NOT_PERSONAL_COLUMNS:
        assert column in tables[table_name].columns, (table_name, column)


@pytest.mark.parametrize("table_name", sorted(DECLARED))
def test_a_declaration_is_complete_and_names_real_columns(table_name: str) -> None:
    model, declaration = DECLARED[table_name]
    table = Base.metadata.tables[table_name]
    missing = [column for column in declaration.columns if column not in table.columns]
    assert not missing, f"{model} declares columns that do not exist: {', '.join(missing)}"
    assert declaration.columns, f"{model} declares no columns"
    assert len(set(declaration.columns)) == len(declaration.columns), f"{model}: repeated columns"
    for field in fields(PrivacyDeclaration):
        value = getattr(declaration, field.name)
        if field.name == "special_basis":
            continue
        if isinstance(value, tuple):
            assert value and all(item.strip() for item in value), f"{model}: empty {field.name}"
        else:
            assert value and value.strip(), f"{model}: empty {field.name}"
    assert declaration.activity in ACTIVITY_KEYS, (
        f"{model}: unknown processing activity {declaration.activity!r}"
    )


@pytest.mark.parametrize("table_name", sorted(DECLARED))
def test_cpr_and_criminal_record_data_have_a_special_basis(table_name: str) -> None:
    model, declaration = DECLARED[table_name]
    special = [
        column
        for column in declaration.columns
        if column.startswith(SPECIAL_PREFIXES) or column in SPECIAL_COLUMNS
    ]
    if special:
        assert declaration.special_basis and declaration.special_basis.strip(), (
            f"{model} covers {', '.join(special)} and must name its special basis "
            "(GDPR art. 9/10, databeskyttelsesloven § 8 or § 11)"
        )


def test_every_cpr_and_check_column_is_declared_as_special() -> None:
    """The special-basis rule cannot be dodged by leaving the column out of the declaration."""
    for table in TABLES:
        special = [
            c.name
            for c in table.columns
            if c.name.startswith(SPECIAL_PREFIXES) or c.name in SPECIAL_COLUMNS
        ]
        if special:
            _model, declaration = DECLARED[table.name]
            assert set(special) <= set(declaration.columns), (table.name, special)


def test_the_activities_are_known_and_used() -> None:
    keys = [activity.key for activity in ACTIVITIES]
    assert len(keys) == len(set(keys))
    used = {declaration.activity for _model, declaration in DECLARED.values()}
    assert used <= ACTIVITY_KEYS
    assert ACTIVITY_KEYS - used == set(), "an activity without tables has nothing to record"
    for activity in ACTIVITIES:
        assert str(activity.title).strip() and str(activity.description).strip(), activity.key
