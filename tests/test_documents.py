"""Uploading and downloading documents, on the local folder and on a real S3 (SeaweedFS)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import create_app, db
from portal.models import AuditEntry, Document, Organisation
from portal.services.demo import DEMO_PDF
from portal.storage import get_storage
from tests.conftest import app_settings, rolled_back
from tests.databases import TestDatabase
from tests.roles import ROLE_ACCOUNTS
from tests.seaweedfs import SeaweedFS


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def _org_a(app: Flask) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(
            select(Organisation.id).where(Organisation.name == "Foreningen Nyt Netværk")
        )
        assert found is not None
        return found


def _upload(
    client: FlaskClient,
    org: uuid.UUID,
    content: bytes,
    name: str,
    purpose: str = "attachment",
    **extra: str,
) -> Any:
    data = {
        "purpose": purpose,
        "description": "Bilag til sagen",
        "file": (io.BytesIO(content), name),
        **extra,
    }
    return client.post(
        f"/organisationer/{org}/dokumenter", data=data, content_type="multipart/form-data"
    )


def _documents(app: Flask, org: uuid.UUID) -> list[Document]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Document).where(Document.owner_id == org).order_by(Document.uploaded_at)
            )
        )


@pytest.mark.parametrize(
    ("content", "name", "purpose", "content_type"),
    [
        (DEMO_PDF, "Årsrapport 2025.pdf", "annual_report", "application/pdf"),
        (
            DOCX,
            "vedtægter.docx",
            "statutes",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            XLSX,
            "budget.xlsx",
            "annual_report",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (ODT, "vedtægter.odt", "statutes", "application/vnd.oasis.opendocument.text"),
        (PNG, "logo.png", "attachment", "image/png"),
        (JPEG, "foto.jpeg", "attachment", "image/jpeg"),
    ],
)
def test_allowed_files_are_stored_and_served_back(
    app: Flask, login_as: Any, content: bytes, name: str, purpose: str, content_type: str
) -> None:
    client = login_as("ngo_a_member")
    org = _org_a(app)
    response = _upload(client, org, content, name, purpose)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    document = _documents(app, org)[-1]
    assert document.original_name == name
    assert document.content_type == content_type
    assert document.size == len(content)
    assert name not in document.storage_key and document.storage_key.startswith("documents/")

    download = login_as("caseworker_ost", client).get(f"/dokumenter/{document.id}")
    assert download.status_code == 200
    assert download.data == content
    assert download.mimetype == content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(document.id))
            )
        )
        assert actions == {"document.uploaded", "document.downloaded"}


@pytest.mark.parametrize(
    ("content", "name", "purpose", "message"),
    [
        (b"", "tom.pdf", "attachment", "Filen er tom"),
        (EXE, "faktura.pdf", "attachment", "Filtypen kan ikke bruges her"),
        (
            b"<html><script>alert(1)</script>",
            "side.pdf",
            "attachment",
            "Filtypen kan ikke bruges her",
        ),
        (PNG, "billede.png", "statutes", "PDF, Word (DOCX), OpenDocument (ODT)"),
        (b"PK\x03\x04 not really a zip", "ødelagt.docx", "statutes", "Filen kan ikke læses"),
        (b"%PDF-1.4 cut off in the middle", "halv.pdf", "statutes", "PDF-filen er ufuldstændig"),
    ],
)
def test_bad_files_are_refused_in_danish_and_keep_the_form(
    app: Flask, login_as: Any, content: bytes, name: str, purpose: str, message: str
) -> None:
    client = login_as("ngo_a_admin")
    org = _org_a(app)
    before = len(_documents(app, org))
    response = _upload(client, org, content, name, purpose, description="Min beskrivelse")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'value="Min beskrivelse"' in html  # what was typed is still there
    assert len(_documents(app, org)) == before


def test_the_name_never_decides_the_type(app: Flask, login_as: Any) -> None:
    client = login_as("ngo_a_admin")
    org = _org_a(app)
    assert _upload(client, org, DEMO_PDF, "rapport.docx", "attachment").status_code == 302
    document = _documents(app, org)[-1]
    assert document.content_type == "application/pdf"
    assert document.original_name == "rapport.docx.pdf"


def test_file_names_are_made_safe(app: Flask, login_as: Any) -> None:
    client = login_as("ngo_a_admin")
    org = _org_a(app)
    _upload(client, org, DEMO_PDF, '../../etc/"Ærø"\r\nSet-Cookie: x.pdf')
    document = _documents(app, org)[-1]
    assert (
        "/" not in document.original_name
        and "\n" not in document.original_name
        and '"' not in document.original_name
    )
    header = client.get(f"/dokumenter/{document.id}").headers["Content-Disposition"]
    assert "\n" not in header and "\r" not in header
    assert "filename*=UTF-8''" in header


def test_too_large_upload_gets_the_413_page(
    app: Flask, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = _upload(login_as("ngo_a_admin"), _org_a(app), DEMO_PDF + b" " * 4096, "stor.pdf")
    assert response.status_code == 413
    assert "Filen er for stor" in response.get_data(as_text=True)


def test_another_tenant_gets_404_and_the_attempt_is_audited(app: Flask, login_as: Any) -> None:
    org = _org_a(app)
    document = _documents(app, org)[0]  # the demo statutes
    for role in ("ngo_b_admin", "caseworker_vest", "volunteer"):
        client = login_as(role, app.test_client())
        assert client.get(f"/dokumenter/{document.id}").status_code == 404
        assert client.get(f"/organisationer/{org}/dokumenter").status_code == 404
        assert _upload(client, org, DEMO_PDF, "x.pdf").status_code == 404
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEntry.actor_label).where(
                AuditEntry.action == "access.denied", AuditEntry.object_id == str(document.id)
            )
        ).all()
        assert set(denied) == {
            ROLE_ACCOUNTS[r] for r in ("ngo_b_admin", "caseworker_vest", "volunteer")
        }


def test_staff_who_may_read_may_not_upload(app: Flask, login_as: Any) -> None:
    org = _org_a(app)
    response = _upload(login_as("caseworker_ost"), org, DEMO_PDF, "x.pdf")
    assert response.status_code == 403


def test_a_file_stored_for_a_failed_transaction_is_removed(app: Flask) -> None:
    from werkzeug.datastructures import FileStorage

    from portal.models import OwnerType
    from portal.services import documents

    org = _org_a(app)
    with app.test_request_context():
        document = documents.store(
            FileStorage(io.BytesIO(DEMO_PDF), filename="x.pdf"),
            owner_type=OwnerType.ORGANISATION,
            owner_id=org,
            purpose="attachment",
            uploaded_by=None,
        )
        key = document.storage_key
        assert get_storage().exists(key)
        db.finish_request(False)  # the request failed after the file was stored
    with app.app_context():
        assert not get_storage().exists(key)
        assert (
            db.session.scalar(
                select(func.count()).select_from(Document).where(Document.storage_key == key)
            )
            == 0
        )


# --- the same on S3 -------------------------------------------------------------------------


@pytest.fixture
def s3_app(
    database: TestDatabase, app: Flask, s3_server: SeaweedFS, tmp_path: Path
) -> Iterator[Flask]:
    """An app storing documents on SeaweedFS, over the suite's seeded database."""
    s3 = create_app(
        app_settings(database.url, tmp_path, WTF_CSRF_ENABLED=False, **s3_server.settings())
    )
    try:
        with rolled_back(s3):
            yield s3
    finally:
        s3.extensions["portal_db"].engine.dispose()


def _login(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/log-ind", data={"email": ROLE_ACCOUNTS[role], "password": "demo-password-1"}
    )
    assert response.status_code == 302
    return client


def test_s3_upload_stream_and_presigned_download(
    s3_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _login(s3_app, "ngo_a_admin")
    org = _org_a(s3_app)
    assert (
        _upload(client, org, DEMO_PDF, "Årsberetning for 2025.pdf", "annual_report").status_code
        == 302
    )
    document = _documents(s3_app, org)[-1]
    with s3_app.app_context():
        assert get_storage().exists(document.storage_key)

    streamed = client.get(f"/dokumenter/{document.id}")
    assert streamed.status_code == 200 and streamed.data == DEMO_PDF

    monkeypatch.setitem(s3_app.config["PORTAL"], "DOWNLOAD_MODE", "presign")
    redirected = client.get(f"/dokumenter/{document.id}")
    assert redirected.status_code == 302
    location = redirected.headers["Location"]
    assert location.startswith(s3_app.config["PORTAL"]["S3_ENDPOINT_URL"])
    assert "X-Amz-Expires=30" in location
    import urllib.request

    with urllib.request.urlopen(location, timeout=10) as response:  # noqa: S310 - loopback test server
        assert response.read() == DEMO_PDF
        assert "attachment" in response.headers["Content-Disposition"]


def test_s3_outage_gives_a_clear_error_and_leaves_no_row(
    database: TestDatabase, app: Flask, tmp_path: Path
) -> None:
    """Stop the store mid-test: upload fails cleanly, pages without files keep working."""
    server = SeaweedFS(tmp_path / "outage").start()
    s3 = create_app(
        app_settings(database.url, tmp_path, WTF_CSRF_ENABLED=False, **server.settings("outage"))
    )
    try:
        with rolled_back(s3):
            client = _login(s3, "ngo_a_admin")
            org = _org_a(s3)
            assert _upload(client, org, DEMO_PDF, "før.pdf").status_code == 302
            stored = _documents(s3, org)[-1]
            before = len(_documents(s3, org))

            server.stop()

            response = _upload(
                client, org, DEMO_PDF, "under nedbrud.pdf", description="Skrevet før fejlen"
            )
            html = response.get_data(as_text=True)
            assert response.status_code == 400
            assert "Vi kan ikke gemme filer lige nu" in html
            assert 'value="Skrevet før fejlen"' in html
            assert len(_documents(s3, org)) == before  # no row points to a missing file

            download = client.get(f"/dokumenter/{stored.id}")
            assert download.status_code == 503
            assert "Dokumentet kan ikke hentes lige nu" in download.get_data(as_text=True)
            assert client.get("/overblik").status_code == 200
            assert client.get(f"/organisationer/{org}/dokumenter").status_code == 200
    finally:
        server.stop()
        s3.extensions["portal_db"].engine.dispose()


def test_a_suspended_organisation_cannot_upload_and_is_told_why(app: Flask, login_as: Any) -> None:
    org = _org_a(app)
    with app.app_context():
        organisation = db.session.get(Organisation, org)
        from portal.models import OrganisationState

        organisation.state = OrganisationState.SUSPENDED
        organisation.suspension_reason = "Manglende forberedelse af frivillige"
        db.session.commit()
    response = _upload(login_as("ngo_a_admin"), org, DEMO_PDF, "ny.pdf")
    assert response.status_code == 403
    assert "Manglende forberedelse af frivillige" in response.get_data(as_text=True)
