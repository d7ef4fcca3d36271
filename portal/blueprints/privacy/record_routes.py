"""The record of processing (GDPR art. 30): the page, the DPO's own fields, and the PDF and CSV
exports. The record itself is built in ``portal.services.processing_record``."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import roles_required
from portal.blueprints.privacy.record_forms import RecordSettingsForm
from portal.blueprints.privacy.routes import bp
from portal.csv_export import csv_response
from portal.models import Role
from portal.services import pdf_documents, processing_record
from portal.services.processing_record import SettingsConflict


def _language() -> str:
    return str(get_locale() or "da")[:2]


@bp.get("/databeskyttelse/fortegnelse")
@roles_required(Role.DPO)
def record() -> str:
    return render_template("privacy/record.html", record=processing_record.build_record(db.session))


def _settings_page(
    form: RecordSettingsForm, status: int = 200, *, conflict: bool = False
) -> tuple[str, int]:
    saved = processing_record.load_settings(db.session)
    return render_template(
        "privacy/record_settings.html",
        form=form,
        saved=saved,
        conflict=conflict,
        conflict_message=SettingsConflict.message,
    ), status


@bp.get("/databeskyttelse/fortegnelse/oplysninger")
@roles_required(Role.DPO)
def record_settings() -> tuple[str, int]:
    settings = processing_record.current_settings(db.session)
    return _settings_page(RecordSettingsForm.from_settings(settings))


@bp.post("/databeskyttelse/fortegnelse/oplysninger")
@roles_required(Role.DPO)
def record_settings_post() -> Response | tuple[str, int]:
    form = RecordSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    try:
        changed = processing_record.save_settings(
            form.values(), current_user, expected_version=form.version.data or 0
        )
    except SettingsConflict:
        # Keep what the DPO typed; the page shows what is saved now and the form takes its
        # version, so saving again deliberately replaces it.
        saved = processing_record.load_settings(db.session)
        version = processing_record.settings_version(saved) if saved else 0
        form.version.data = version
        form.version.raw_data = [str(version)]  # what the hidden input renders
        return _settings_page(form, 409, conflict=True)
    if changed:
        flash(_("Oplysningerne i fortegnelsen er gemt."), "success")
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("privacy.record"))


@bp.get("/databeskyttelse/fortegnelse.pdf")
@roles_required(Role.DPO)
def record_pdf() -> Response:
    record = processing_record.build_record(db.session)
    data = pdf_documents.render_pdf("privacy/record_pdf.html", _language(), record=record)
    processing_record.record_exported(record, "pdf")
    name = processing_record.file_name(record, "pdf")
    return Response(
        data,
        mimetype=pdf_documents.CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/databeskyttelse/fortegnelse.csv")
@roles_required(Role.DPO)
def record_csv() -> Response:
    record = processing_record.build_record(db.session)
    first, rows = processing_record.csv_rows(record)
    processing_record.record_exported(record, "csv")
    return csv_response(processing_record.file_name(record, "csv"), first, rows)
