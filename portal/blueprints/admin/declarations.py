"""The admin's pages for the declaration texts: the versions of each, and publishing a new one.

The routes live on the admin blueprint (and behind its admins-only gate); a published version is
never edited, a change is always a new version that the volunteers sign again.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import roles_required
from portal.blueprints.admin.declaration_forms import DeclarationVersionForm
from portal.blueprints.admin.routes import bp
from portal.labels import label
from portal.models import DECLARATION_ORDER, DeclarationKind, DeclarationVersion, Role, User
from portal.services import declaration_texts
from portal.services.declaration_texts import (
    PLACEHOLDER_HELP,
    AlreadyPublished,
    DeclarationTextError,
)


def _kind_or_404(kind: str) -> DeclarationKind:
    try:
        return DeclarationKind(kind)
    except ValueError:
        abort(404)


@bp.get("/erklaeringer")
@roles_required(Role.ADMIN)
def declarations() -> str:
    summaries = [declaration_texts.summary(kind) for kind in DECLARATION_ORDER]
    return render_template("admin/declarations.html", summaries=summaries)


@bp.get("/erklaeringer/<uuid:version_id>")
@roles_required(Role.ADMIN)
def declaration_version(version_id: uuid.UUID) -> str:
    version = db.session.get(DeclarationVersion, version_id)
    if version is None:
        abort(404)
    versions = declaration_texts.versions_of(version.kind)
    publisher = db.session.get(User, version.published_by_id) if version.published_by_id else None
    return render_template(
        "admin/declaration_version.html",
        version=version,
        versions=versions,
        current=versions[0],
        publisher=publisher,
        previews={
            "da": declaration_texts.preview(version.text_da, "da"),
            "en": declaration_texts.preview(version.text_en, "en"),
        },
        placeholders=PLACEHOLDER_HELP,
    )


def _render_new(
    kind: DeclarationKind,
    form: DeclarationVersionForm,
    status: int = 200,
    *,
    previews: dict[str, str] | None = None,
) -> tuple[str, int]:
    current = declaration_texts.current_version(kind)
    return render_template(
        "admin/declaration_new.html",
        kind=kind,
        current=current,
        next_version=(current.version if current else 0) + 1,
        form=form,
        previews=previews,
        affected=len(declaration_texts.affected_volunteers(kind)),
        placeholders=PLACEHOLDER_HELP,
    ), status


@bp.route("/erklaeringer/<kind>/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def declaration_new(kind: str) -> Response | tuple[str, int]:
    found = _kind_or_404(kind)
    form = DeclarationVersionForm()
    if not form.is_submitted():
        return _render_new(
            found, DeclarationVersionForm.from_version(declaration_texts.current_version(found))
        )
    if not form.validate():
        return _render_new(found, form, 400)
    if not form.publishing():
        # "Vis eksempel" (and Enter in a field): show the texts filled in, publish nothing.
        previews = {
            "da": declaration_texts.preview(form.text_da.data or "", "da"),
            "en": declaration_texts.preview(form.text_en.data or "", "en"),
        }
        return _render_new(found, form, previews=previews)
    if not form.acknowledge.data:
        form.acknowledge.errors = [
            _("Bekræft, at du ved, at de frivillige skal underskrive den nye version.")
        ]
        return _render_new(found, form, 400)
    try:
        version = declaration_texts.publish_version(
            found,
            title_da=form.title_da.data or "",
            title_en=form.title_en.data or "",
            text_da=form.text_da.data or "",
            text_en=form.text_en.data or "",
            change_note=form.change_note.data or "",
            actor=current_user,
            based_on=form.based_on.data,
        )
    except AlreadyPublished as done:
        # The same form sent twice: the first one published it (and asked for signatures).
        return redirect(url_for("admin.declaration_version", version_id=done.version.id))
    except DeclarationTextError as refused:
        field = getattr(form, refused.field, None) if refused.field else None
        if field is not None:
            field.errors = [str(refused.message)]
        else:
            form.form_errors.append(str(refused.message))
        return _render_new(found, form, 400)
    counts = declaration_texts.notify_resign(version)
    flash(
        _(
            "Version %(version)d af %(kind)s er udgivet. %(num)d frivillige er bedt om at underskrive igen.",
            version=version.version,
            kind=label(found),
            num=counts["volunteers"],
        ),
        "success",
    )
    return redirect(url_for("admin.declaration_version", version_id=version.id))
