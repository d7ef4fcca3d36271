"""Reading a CSV file of volunteers for the import.

The whole file is read and checked before anything is registered: every bad row comes back
with its line number and each reason, and the file is imported only when there are none.
Excel writes CSV with ``;`` (Danish settings) or ``,``, in UTF-8 with or without a BOM, or in
Windows-1252 ("CSV (semikolonsepareret)"); all are accepted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from portal.models import Organisation
from portal.services import volunteers
from portal.services.volunteers import MAX_IMPORT_ROWS, NewVolunteer

COLUMNS = ("navn", "email", "telefon", "foedselsdato", "besoegsven")
REQUIRED_COLUMNS = ("navn", "email", "foedselsdato")
# Headings people are likely to type instead of the template's own.
ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "e-mailadresse": "email",
    "fødselsdato": "foedselsdato",
    "besøgsven": "besoegsven",
    "tlf": "telefon",
    "tlf.": "telefon",
    "name": "navn",
    "phone": "telefon",
}
# The template's example row; importing it unchanged would invite nobody real.
EXAMPLE = ("Eksempel Eksempelsen", "eksempel@eksempel.dk", "12 34 56 78", "31-12-1990", "nej")
MAX_BYTES = 200_000

YES = {"ja", "j", "yes", "y", "x", "1", "sand", "true"}
NO = {"", "nej", "n", "no", "0", "falsk", "false"}
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{6,}$")
DAY_FIRST = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Our own CSV exports put a quote before a cell that starts like a formula (+45 ...).
FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")


@dataclass
class RowProblem:
    line: int | None  # None: the file as a whole
    reasons: list[Any] = field(default_factory=list)


@dataclass
class ReadFile:
    rows: list[NewVolunteer] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def template() -> tuple[list[str], list[list[str]]]:
    """The header and example row of the downloadable template."""
    return list(COLUMNS), [list(EXAMPLE)]


def _decode(data: bytes) -> str | None:
    if b"\x00" in data:  # UTF-16 ("Unicode-tekst"), a spreadsheet or another binary file
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "," if first.count(",") > first.count(";") else ";"


def parse_date(raw: str) -> date | None:
    """DD-MM-YYYY (also with . or /) or YYYY-MM-DD; None if it is not a real date."""
    raw = raw.strip()
    if match := DAY_FIRST.match(raw):
        day, month, year = (int(part) for part in match.groups())
    elif match := ISO.match(raw):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _not_csv() -> ReadFile:
    return ReadFile(
        problems=[
            RowProblem(
                None,
                [
                    _l(
                        "Filen er ikke en CSV-fil, vi kan læse. Gem den i Excel som \u201dCSV UTF-8\u201d eller \u201dCSV (semikolonsepareret)\u201d, eller brug skabelonen."
                    )
                ],
            )
        ]
    )


def _header(cells: list[str], line: int) -> tuple[list[str] | None, RowProblem | None]:
    names = [ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells]
    while names and not names[-1]:
        names.pop()  # Excel adds empty columns after the last heading
    expected = ";".join(COLUMNS)
    unknown = [n for n in names if n not in COLUMNS]
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if not unknown and not missing and not repeated:
        return names, None
    reasons: list[Any] = []
    if unknown:
        reasons.append(
            _l(
                "Den første linje skal være overskrifterne %(expected)s. Ukendte kolonner: %(unknown)s.",
                expected=expected,
                unknown=", ".join(n or _l("(tom)") for n in unknown),
            )
        )
    if missing:
        reasons.append(_l("Kolonnerne mangler: %(missing)s.", missing=", ".join(missing)))
    if repeated:
        reasons.append(_l("Kolonnen står flere gange: %(names)s.", names=", ".join(repeated)))
    return None, RowProblem(line, reasons)


def read(
    data: bytes, organisation: Organisation, language: str = "da", now: Any = None
) -> ReadFile:
    """Read and check the whole file; ``rows`` are what to register if ``problems`` is empty."""
    if len(data) > MAX_BYTES:
        return ReadFile(
            problems=[
                RowProblem(
                    None,
                    [
                        _l(
                            "Filen er for stor. Der kan højst være %(max)d frivillige i én fil.",
                            max=MAX_IMPORT_ROWS,
                        )
                    ],
                )
            ]
        )
    text = _decode(data)
    if text is None:
        return _not_csv()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    result = ReadFile()
    columns: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    end = 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns, problem = _header(cells, line)
                if problem is not None:
                    result.problems.append(problem)
                    return result
                continue
            assert columns is not None
            if any(cell.strip() for cell in cells[len(columns) :]):
                result.problems.append(
                    RowProblem(line, [_l("Linjen har flere felter end overskriften.")])
                )
                continue
            records.append((line, dict(zip(columns, (c.strip() for c in cells), strict=False))))
    except csv.Error:
        return _not_csv()
    if columns is None or (not records and not result.problems):
        result.problems.append(RowProblem(None, [_l("Filen har ingen frivillige.")]))
        return result
    if len(records) > MAX_IMPORT_ROWS:
        result.problems.insert(
            0,
            RowProblem(
                None,
                [
                    _l(
                        "Filen har %(count)d frivillige, men der kan højst være %(max)d i én fil. Del den op i flere filer.",
                        count=len(records),
                        max=MAX_IMPORT_ROWS,
                    )
                ],
            ),
        )
    _check_rows(records, organisation, language, now, result)
    result.problems.sort(key=lambda p: -1 if p.line is None else p.line)
    return result


def _check_rows(
    records: list[tuple[int, dict[str, str]]],
    organisation: Organisation,
    language: str,
    now: Any,
    result: ReadFile,
) -> None:
    registered = volunteers.registered_emails(
        organisation, (values.get("email", "") for _line, values in records)
    )
    first_line: dict[str, int] = {}
    for line, values in records:
        reasons: list[Any] = []
        name = values.get("navn", "")
        email = values.get("email", "").lower()
        phone = FORMULA_GUARD.sub("", values.get("telefon", ""))
        raw_date = values.get("foedselsdato", "")
        visiting = values.get("besoegsven", "").lower()
        if tuple(values.get(c, "") for c in COLUMNS[:2]) == EXAMPLE[:2]:
            result.problems.append(
                RowProblem(line, [_l("Det er eksempellinjen fra skabelonen. Slet den.")])
            )
            continue
        if not name:
            reasons.append(_l("Navn mangler."))
        elif len(name) > 200:
            reasons.append(_l("Navnet er for langt (højst 200 tegn)."))
        if not email:
            reasons.append(_l("E-mail mangler."))
        elif not _valid_email(email):
            reasons.append(
                _l("\u201d%(email)s\u201d er ikke en gyldig e-mailadresse.", email=email)
            )
        elif email in first_line:
            reasons.append(_l("E-mailadressen står også i linje %(line)d.", line=first_line[email]))
        elif email in registered:
            reasons.append(
                _l("%(email)s er allerede registreret som frivillig i organisationen.", email=email)
            )
        if email:
            first_line.setdefault(email, line)
        if phone and (len(phone) > 40 or not PHONE.match(phone)):
            reasons.append(
                _l(
                    "Telefonnummeret \u201d%(phone)s\u201d er ikke gyldigt, fx 12 34 56 78.",
                    phone=phone,
                )
            )
        birth_date = parse_date(raw_date) if raw_date else None
        if not raw_date:
            reasons.append(_l("Fødselsdato mangler."))
        elif birth_date is None:
            reasons.append(
                _l(
                    "Fødselsdatoen \u201d%(value)s\u201d er ikke en gyldig dato. Skriv den som DD-MM-ÅÅÅÅ, fx 31-12-1990.",
                    value=raw_date,
                )
            )
        elif problem := volunteers.birth_date_problem(birth_date, now):
            reasons.append(problem)
        if visiting not in YES | NO:
            reasons.append(_l("Skriv ja eller nej i kolonnen besoegsven."))
        if reasons:
            result.problems.append(RowProblem(line, reasons))
            continue
        assert birth_date is not None
        result.rows.append(
            NewVolunteer(
                name=name,
                email=email,
                birth_date=birth_date,
                phone=phone,
                visiting_friend=visiting in YES,
                language=language,
            )
        )


def _valid_email(email: str) -> bool:
    if len(email) > 254:
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
