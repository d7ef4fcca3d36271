"""Documents: validate an upload by its content, store it, record it, and serve it back.

Validation happens before anything is stored. The stored content type is the detected one,
never the browser's claim; the storage key is random, never the user's file name.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from portal import audit, db, storage
from portal.models import Document, OwnerType, User


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]  # the first is used when a name lacks a fitting one


KINDS = {
    "pdf": FileKind("pdf", "PDF", "application/pdf", (".pdf",)),
    "docx": FileKind(
        "docx",
        "Word (DOCX)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": FileKind(
        "xlsx",
        "Excel (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
    ),
    "odt": FileKind(
        "odt", "OpenDocument (ODT)", "application/vnd.oasis.opendocument.text", (".odt",)
    ),
    "png": FileKind("png", "PNG", "image/png", (".png",)),
    "jpeg": FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
    # Only the portal's own archives (the access export); no upload purpose allows it.
    "zip": FileKind("zip", "ZIP", "application/zip", (".zip",)),
}


@dataclass(frozen=True)
class Purpose:
    label: Any
    kinds: tuple[str, ...]


# What may be uploaded for what. Later flows add their purposes here.
PURPOSES: dict[str, Purpose] = {
    "statutes": Purpose(_l("Vedtægter"), ("pdf", "docx", "odt")),
    "annual_report": Purpose(_l("Årsrapport eller regnskab"), ("pdf", "docx", "xlsx", "odt")),
    "attachment": Purpose(_l("Andet bilag"), ("pdf", "docx", "xlsx", "odt", "png", "jpeg")),
}

# Files the portal makes itself (``store_bytes``); kept apart so no upload form offers them.
GENERATED_PURPOSES: dict[str, Purpose] = {
    "signature_receipt": Purpose(_l("Kvittering for underskrift"), ("pdf",)),
    "grant_application_receipt": Purpose(_l("Kvittering for ansøgning om tilskud"), ("pdf",)),
    "grant_decision_letter": Purpose(_l("Afgørelsesbrev om tilskud"), ("pdf",)),
    "subject_export": Purpose(_l("Udtræk af dine oplysninger (indsigt)"), ("zip",)),
}


class UploadError(Exception):
    """An upload refused, with a message for the user in their language."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def accepted_formats(purpose: str) -> str:
    return ", ".join(KINDS[k].label for k in PURPOSES[purpose].kinds)


def max_bytes() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"] * 1024 * 1024


# --- recognising a file by its content -----------------------------------------------------


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if (
                "mimetype" in names
                and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
            ):
                return "odt"
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
                return None  # an office file of a kind not accepted
            return "zip"
    except (zipfile.BadZipFile, OSError, KeyError):
        raise UploadError(
            _l(
                "Filen kan ikke læses. Den kan være beskadiget. Prøv at gemme den igen og uploade den på ny."
            )
        ) from None


def detect_kind(data: bytes) -> str | None:
    """The file's real type from its first bytes (and, for office files, its zip contents)."""
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise UploadError(
                _l(
                    "PDF-filen er ufuldstændig eller beskadiget. Prøv at gemme den igen og uploade den på ny."
                )
            )
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return None


def validate(upload: FileStorage, purpose: str) -> tuple[bytes, FileKind]:
    """Read and check an upload; raise UploadError with a message the user can act on."""
    if purpose not in PURPOSES:
        raise UploadError(_l("Vælg, hvad dokumentet er."))
    if upload is None or not upload.filename:
        raise UploadError(_l("Vælg en fil."))
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(
            _l("Filen er for stor. Den må højst være %(mb)d MB.", mb=limit // (1024 * 1024))
        )
    if not data:
        raise UploadError(_l("Filen er tom. Vælg en fil med indhold."))
    kind = detect_kind(data)
    allowed = PURPOSES[purpose].kinds
    if kind not in allowed:
        raise UploadError(
            _l(
                "Filtypen kan ikke bruges her. Upload en fil i et af disse formater: %(formats)s.",
                formats=accepted_formats(purpose),
            )
        )
    return data, KINDS[kind]


# --- storing and serving ------------------------------------------------------------------


def clean_name(name: str, kind: FileKind) -> str:
    """A display name: no path, no control characters, the right extension for the content."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = (
        "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
        or "dokument"
    )
    _stem, dot, extension = name.rpartition(".")
    if not dot or f".{extension.lower()}" not in kind.extensions:
        name = f"{name}{kind.extensions[0]}"
    return name[-255:]


def store(
    upload: FileStorage,
    *,
    owner_type: OwnerType,
    owner_id: uuid.UUID,
    purpose: str,
    uploaded_by: User | None,
    description: str = "",
) -> Document:
    """Validate, store the bytes, and record the document in the current transaction.

    Raises UploadError (nothing stored) for a bad file or an unreachable store.
    """
    data, kind = validate(upload, purpose)
    return _save(
        data,
        kind,
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=purpose,
        name=upload.filename or "",
        uploaded_by=uploaded_by,
        description=description,
    )


def store_bytes(
    data: bytes,
    *,
    name: str,
    owner_type: OwnerType,
    owner_id: uuid.UUID,
    purpose: str,
    uploaded_by: User | None,
    description: str = "",
) -> Document:
    """Store a file the portal made itself (a receipt), with the same checks and records as an
    upload. Raises UploadError (nothing stored) if the content does not fit the purpose or the
    store cannot be reached."""
    kind = detect_kind(data)
    if kind is None or kind not in GENERATED_PURPOSES[purpose].kinds:
        raise ValueError(f"a {kind} file cannot be stored as {purpose}")
    return _save(
        data,
        KINDS[kind],
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=purpose,
        name=name,
        uploaded_by=uploaded_by,
        description=description,
    )


def _save(
    data: bytes,
    kind: FileKind,
    *,
    owner_type: OwnerType,
    owner_id: uuid.UUID,
    purpose: str,
    name: str,
    uploaded_by: User | None,
    description: str,
) -> Document:
    key = f"documents/{uuid.uuid4().hex}"
    try:
        storage.get_storage().put(key, data, kind.content_type)
    except storage.StorageError as error:
        current_app.logger.error("document store failed: %s", error)
        raise UploadError(
            _l(
                "Vi kan ikke gemme filer lige nu. Intet er gemt. Prøv igen om lidt; det, du har skrevet, står der stadig."
            )
        ) from error
    storage.track_new_key(key)
    document = Document(
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=purpose,
        original_name=clean_name(name, kind),
        description=description.strip(),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "document.uploaded",
        object_type="document",
        object_id=document.id,
        details={
            "owner_type": owner_type.value,
            "owner_id": str(owner_id),
            "purpose": purpose,
            "size": len(data),
        },
    )
    return document


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or "dokument"
    )
    ascii_name = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def record_download(document: Document) -> None:
    # Whose document it was: the log still says so after the document itself is deleted.
    audit.record(
        "document.downloaded",
        object_type="document",
        object_id=document.id,
        details={"owner_type": document.owner_type.value, "owner_id": str(document.owner_id)},
    )


def open_document(document: Document) -> Any:
    """The stored bytes as chunks; raises storage.StorageError when the store fails."""
    return storage.get_storage().open(document.storage_key)


def presigned_link(document: Document) -> str | None:
    settings = current_app.config["PORTAL"]
    if settings["DOWNLOAD_MODE"] != "presign":
        return None
    seconds = min(settings["S3_PRESIGN_SECONDS"], 59)
    return storage.get_storage().presigned_url(
        document.storage_key,
        filename=content_disposition(document.original_name),
        content_type=document.content_type,
        seconds=seconds,
    )
