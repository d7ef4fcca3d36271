"""The access export (GDPR art. 15): one ZIP with everything the portal holds about a person.

The ZIP holds ``oplysninger.json`` (every part, machine-readable), ``oversigt.pdf`` (the same,
readable, in Danish), the person's own files under ``dokumenter/`` (their documents and the
receipts of their signatures) and ``LÆSMIG.txt``. What is read, and how other people are kept
out of it, is ``portal.services.subject_data``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from portal import audit, db, storage
from portal.db import utcnow
from portal.models import DataSubjectRequest, Document, OwnerType, User
from portal.services import documents, pdf_documents
from portal.services.anonymise import delete_document
from portal.services.subject_data import EXPORT_PURPOSE, PART_KEYS, PARTS, Reader
from portal.services.volunteer_status import COPENHAGEN, today

__all__ = ["PARTS", "ExportError", "build_zip", "collect", "store_export"]

FORMAT = "partnerportalen-indsigt/1"
LANGUAGE = "da"
# Parts shown in the summary as one line per row (many short rows), not one table per row.
_COMPACT = {"hændelser": ("tidspunkt", "handling", "objekt", "udført af", "detaljer")}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExportError(Exception):
    """The export could not be made; the message is for the DPO."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def collect(user: User) -> dict[str, Any]:
    """Everything the portal holds about ``user``, grouped by part (``PARTS``), after a
    description of the export itself (``om-udtrækket``). JSON-able, with Danish labels."""
    with force_locale(LANGUAGE):
        return _collect(Reader(user))


def _collect(reader: Reader) -> dict[str, Any]:
    user = reader.user
    parts = reader.collect()
    settings = current_app.config["PORTAL"]
    about = {
        "format": FORMAT,
        "lavet": utcnow().isoformat(timespec="seconds"),
        "dataansvarlig": settings["AGENCY_NAME"],
        "portal": settings["PORTAL_NAME"],
        "person": {"id": str(user.id), "navn": user.name, "e-mail": user.email},
        "dele": {key: str(title) for key, title in PARTS},
        "antal": {key: len(rows) for key, rows in parts.items()},
    }
    return {"om-udtrækket": about, **parts}


def counts(data: dict[str, Any]) -> dict[str, int]:
    """Rows per part: what the audit log keeps of an export (no personal data)."""
    return {key: len(data[key]) for key in PART_KEYS}


def build_zip(user: User) -> bytes:
    """The export as ZIP bytes. Raises ExportError when a file cannot be read from storage."""
    return _build(user)[0]


def _build(user: User) -> tuple[bytes, dict[str, int]]:
    with force_locale(LANGUAGE):
        reader = Reader(user)
        data = _collect(reader)
        files = _read_files(reader)
        pdf = pdf_documents.render_pdf(
            "privacy/subject_export_pdf.html",
            LANGUAGE,
            person=data["om-udtrækket"]["person"],
            made_at=_display(data["om-udtrækket"]["lavet"]),
            sections=_sections(data),
            file_count=len(files),
        )
        readme = _readme(len(files))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LÆSMIG.txt", readme)
        archive.writestr(
            "oplysninger.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
        )
        archive.writestr("oversigt.pdf", pdf)
        for path, content in files:
            archive.writestr(path, content)
    return buffer.getvalue(), counts(data)


def _read_files(reader: Reader) -> list[tuple[str, bytes]]:
    files = []
    for document in reader.files:
        try:
            content = b"".join(documents.open_document(document))
        except storage.StorageError as error:
            current_app.logger.error("export: cannot read %s: %s", document.id, error)
            raise ExportError(
                _(
                    "Personens dokumenter kan ikke læses fra fillageret lige nu, så udtrækket er ikke lavet. Prøv igen om lidt."
                )
            ) from error
        files.append((reader.paths[document.id], content))
    return files


def store_export(request: DataSubjectRequest, actor: User) -> Document:
    """Make the export for the request's person and keep it as their own document (it
    replaces an earlier export for the same request). Audited with counts only.

    Raises ExportError, with nothing recorded, when the request has no account or the store
    fails.
    """
    if request.subject_user_id is None:
        raise ExportError(
            _(
                "Anmodningen er ikke knyttet til en konto i portalen. Knyt den til personens konto, før du laver udtrækket."
            )
        )
    user = db.session.get(User, request.subject_user_id)
    if user is None:
        raise ExportError(_("Personens konto findes ikke længere."))
    content, data_counts = _build(user)
    day = today().isoformat()
    try:
        document = documents.store_bytes(
            content,
            name=f"indsigt-{day}.zip",
            owner_type=OwnerType.USER,
            owner_id=user.id,
            purpose=EXPORT_PURPOSE,
            uploaded_by=None,
            description=_("Udtræk af dine oplysninger i portalen"),
        )
    except documents.UploadError as error:
        raise ExportError(
            _(
                "Udtrækket kunne ikke gemmes, fordi fillageret ikke svarer. Intet er gemt. Prøv igen om lidt."
            )
        ) from error
    previous = (
        db.session.get(Document, request.export_document_id) if request.export_document_id else None
    )
    if previous is not None:
        delete_document(previous)
    request.export_document_id = document.id
    db.session.flush()
    audit.record(
        "privacy.export_made",
        object_type="data_subject_request",
        object_id=request.id,
        details={
            "document_id": str(document.id),
            "size": document.size,
            "counts": data_counts,
            "replaced": previous is not None,
        },
        actor_id=str(actor.id),
    )
    return document


# --- the readable summary --------------------------------------------------------------------


@dataclass
class Field:
    label: str
    text: str = ""
    # A list of rows inside a row (a request's history): each row a list of fields.
    rows: list[list[Field]] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    rows: list[list[Field]]
    columns: tuple[str, ...] = ()  # set: one line per row, these fields as columns


def _sections(data: dict[str, Any]) -> list[Section]:
    sections = []
    for key, title in PARTS:
        columns = _COMPACT.get(key, ())
        rows = [_fields(row, columns) for row in data[key]]
        sections.append(
            Section(key, str(title), rows, tuple(_label(c) for c in columns) if columns else ())
        )
    return sections


def _fields(row: dict[str, Any], columns: tuple[str, ...] = ()) -> list[Field]:
    keys = columns or tuple(row)
    fields = []
    for key in keys:
        value = row.get(key)
        if not columns and value in (None, "", []):
            continue
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            fields.append(Field(_label(key), rows=[_fields(item) for item in value]))
        else:
            fields.append(Field(_label(key), _display(value)))
    return fields


_ACRONYMS = (("ip-", "IP-"), ("cpr-", "CPR-"), ("cvr-", "CVR-"), ("sha-", "SHA-"))


def _label(key: str) -> str:
    for lower, upper in _ACRONYMS:
        if key.startswith(lower):
            return upper + key[len(lower) :]
    return key[:1].upper() + key[1:]


def _display(value: Any) -> str:
    """A JSON value as a reader would write it: local times, yes/no, names of codes."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, dict):
        if "tekst" in value and "kode" in value:
            return str(value["tekst"])
        return ", ".join(f"{k}: {_display(v)}" for k, v in value.items()) or "–"
    if isinstance(value, list):
        return ", ".join(_display(item) for item in value) or "–"
    if isinstance(value, str):
        if _ISO_DATETIME.match(value):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is not None:
                moment = moment.astimezone(COPENHAGEN)
            return moment.strftime("%d.%m.%Y %H:%M")
        if _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value).strftime("%d.%m.%Y")
            except ValueError:
                return value
    return str(value)


def _readme(file_count: int) -> str:
    settings = current_app.config["PORTAL"]
    lines = [
        _("Dine oplysninger i %(portal)s", portal=settings["PORTAL_NAME"]),
        "",
        _(
            "Denne fil er svaret på din anmodning om indsigt (databeskyttelsesforordningens artikel 15). Den indeholder alle de oplysninger om dig, som %(agency)s har i portalen.",
            agency=settings["AGENCY_NAME"],
        ),
        "",
        _("Filerne:"),
        _("- oversigt.pdf: alle oplysningerne, ordnet i afsnit, til at læse."),
        _(
            "- oplysninger.json: de samme oplysninger i et maskinlæsbart format (JSON, UTF-8), som du kan tage med til en anden tjeneste."
        ),
        _(
            "- dokumenter/: dine egne dokumenter i portalen, fx kvitteringerne for de erklæringer, du har underskrevet (%(count)d filer).",
            count=file_count,
        ),
        "",
        _(
            "Hvor andre personer har handlet i din sag, står der kun deres rolle (fx »en medarbejder i Kriminalforsorgen«), ikke deres navn. Tidspunkter i JSON-filen er i UTC; i oversigten er de dansk tid."
        ),
        "",
        _(
            "Er noget forkert, kan du bede om at få det rettet fra siden »Mine data« i portalen eller ved at skrive til databeskyttelsesrådgiveren."
        ),
    ]
    return "\n".join(lines) + "\n"
