"""The admin's pages for one institution: its details, its contact people and its sections.

The routes live on the admin blueprint (and behind its admins-only gate). The checks that need
the database (a name that is taken) and the audit are in ``portal.services.institution_admin``.
A refused form is shown again with what the admin typed and a 400.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import roles_required
from portal.blueprints.admin.forms import ConfirmForm
from portal.blueprints.admin.institution_forms import ContactForm, InstitutionForm, SectionForm
from portal.blueprints.admin.routes import bp
from portal.models import (
    Institution,
    InstitutionContact,
    InstitutionKind,
    InstitutionSection,
    Role,
)
from portal.services import institution_admin
from portal.services.institution_admin import InstitutionAdminError

CONTACT_PREFIX = "contact"
SECTION_PREFIX = "section"


def _institution_or_404(institution_id: uuid.UUID) -> Institution:
    found = db.session.get(Institution, institution_id)
    if found is None:
        abort(404)
    return found


def _contact_or_404(institution: Institution, contact_id: uuid.UUID) -> InstitutionContact:
    found = db.session.get(InstitutionContact, contact_id)
    if found is None or found.institution_id != institution.id:
        abort(404)
    return found


def _section_or_404(institution: Institution, section_id: uuid.UUID) -> InstitutionSection:
    found = db.session.get(InstitutionSection, section_id)
    if found is None or found.institution_id != institution.id:
        abort(404)
    return found


def _show_refusal(form: Any, refused: InstitutionAdminError) -> None:
    field = getattr(form, refused.field, None) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, str(refused.message)]
    else:
        form.form_errors.append(str(refused.message))


# --- the institution ---------------------------------------------------------------------------


def _institution_values(form: InstitutionForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "kind": InstitutionKind(form.kind.data),
        "security_level_id": uuid.UUID(form.security_level_id.data),
        "area_office_id": uuid.UUID(form.area_office_id.data),
        "municipality_id": uuid.UUID(form.municipality_id.data)
        if form.municipality_id.data
        else None,
        "active": bool(form.active.data),
        "address": form.address.data or "",
        "postal_code": form.postal_code.data or "",
        "city": form.city.data or "",
        "phone": form.phone.data or "",
        "email": form.email.data or "",
        "visiting_hours": form.visiting_hours.data or "",
    }


def _institution_form(institution: Institution) -> InstitutionForm:
    return InstitutionForm(
        formdata=None,
        data={
            "name": institution.name,
            "kind": institution.kind.value,
            "security_level_id": str(institution.security_level_id),
            "area_office_id": str(institution.area_office_id),
            "municipality_id": str(institution.municipality_id or ""),
            "active": institution.active,
            "address": institution.address,
            "postal_code": institution.postal_code,
            "city": institution.city,
            "phone": institution.phone,
            "email": institution.email,
            "visiting_hours": institution.visiting_hours,
        },
    )


def _render_institution(
    institution: Institution | None,
    form: InstitutionForm,
    *,
    contact_form: ContactForm | None = None,
    section_form: SectionForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "admin/institution.html",
        institution=institution,
        form=form,
        contact_form=contact_form or ContactForm(formdata=None, prefix=CONTACT_PREFIX),
        section_form=section_form or SectionForm(formdata=None, prefix=SECTION_PREFIX),
        confirm=ConfirmForm(),
    ), status


@bp.get("/institutioner/ny")
@roles_required(Role.ADMIN)
def institution_new() -> tuple[str, int]:
    return _render_institution(None, InstitutionForm())


@bp.post("/institutioner/ny")
@roles_required(Role.ADMIN)
def institution_create() -> Response | tuple[str, int]:
    form = InstitutionForm()
    if form.validate_on_submit():
        try:
            created = institution_admin.save_institution(None, _institution_values(form))
        except InstitutionAdminError as refused:
            _show_refusal(form, refused)
        else:
            flash(_("Institutionen er oprettet."), "success")
            return redirect(url_for("admin.institution", institution_id=created.id))
    return _render_institution(None, form, status=400)


@bp.get("/institutioner/<uuid:institution_id>")
@roles_required(Role.ADMIN)
def institution(institution_id: uuid.UUID) -> tuple[str, int]:
    found = _institution_or_404(institution_id)
    return _render_institution(found, _institution_form(found))


@bp.post("/institutioner/<uuid:institution_id>")
@roles_required(Role.ADMIN)
def institution_update(institution_id: uuid.UUID) -> Response | tuple[str, int]:
    found = _institution_or_404(institution_id)
    form = InstitutionForm()
    if form.validate_on_submit():
        try:
            institution_admin.save_institution(found, _institution_values(form))
        except InstitutionAdminError as refused:
            _show_refusal(form, refused)
        else:
            flash(_("Ændringerne er gemt."), "success")
            return redirect(url_for("admin.institution", institution_id=found.id))
    return _render_institution(found, form, status=400)


# --- contact people ----------------------------------------------------------------------------


def _contact_values(form: ContactForm) -> dict[str, str]:
    return {
        "name": form.name.data or "",
        "title": form.title.data or "",
        "email": form.email.data or "",
        "phone": form.phone.data or "",
    }


@bp.post("/institutioner/<uuid:institution_id>/kontaktpersoner")
@roles_required(Role.ADMIN)
def institution_contact_add(institution_id: uuid.UUID) -> Response | tuple[str, int]:
    found = _institution_or_404(institution_id)
    form = ContactForm(prefix=CONTACT_PREFIX)
    if not form.validate_on_submit():
        return _render_institution(found, _institution_form(found), contact_form=form, status=400)
    institution_admin.add_contact(found, _contact_values(form))
    flash(_("%(name)s er tilføjet som kontaktperson.", name=form.name.data), "success")
    return redirect(url_for("admin.institution", institution_id=found.id) + "#kontaktpersoner")


def _render_contact(
    institution: Institution, contact: InstitutionContact, form: ContactForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/institution_contact.html", institution=institution, contact=contact, form=form
    ), status


@bp.get("/institutioner/<uuid:institution_id>/kontaktpersoner/<uuid:contact_id>")
@roles_required(Role.ADMIN)
def institution_contact(institution_id: uuid.UUID, contact_id: uuid.UUID) -> tuple[str, int]:
    found = _institution_or_404(institution_id)
    contact = _contact_or_404(found, contact_id)
    return _render_contact(found, contact, ContactForm(formdata=None, obj=contact))


@bp.post("/institutioner/<uuid:institution_id>/kontaktpersoner/<uuid:contact_id>")
@roles_required(Role.ADMIN)
def institution_contact_update(
    institution_id: uuid.UUID, contact_id: uuid.UUID
) -> Response | tuple[str, int]:
    found = _institution_or_404(institution_id)
    contact = _contact_or_404(found, contact_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_contact(found, contact, form, 400)
    if institution_admin.update_contact(contact, _contact_values(form)):
        flash(_("Ændringerne er gemt."), "success")
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("admin.institution", institution_id=found.id) + "#kontaktpersoner")


@bp.post("/institutioner/<uuid:institution_id>/kontaktpersoner/<uuid:contact_id>/fjern")
@roles_required(Role.ADMIN)
def institution_contact_remove(institution_id: uuid.UUID, contact_id: uuid.UUID) -> Response:
    found = _institution_or_404(institution_id)
    contact = _contact_or_404(found, contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = contact.name
    institution_admin.remove_contact(contact)
    flash(_("%(name)s er fjernet som kontaktperson.", name=name), "success")
    return redirect(url_for("admin.institution", institution_id=found.id) + "#kontaktpersoner")


# --- sections ----------------------------------------------------------------------------------


def _section_values(form: SectionForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "security_level_id": uuid.UUID(form.security_level_id.data),
        "active": bool(form.active.data),
    }


@bp.post("/institutioner/<uuid:institution_id>/afdelinger")
@roles_required(Role.ADMIN)
def institution_section_add(institution_id: uuid.UUID) -> Response | tuple[str, int]:
    found = _institution_or_404(institution_id)
    form = SectionForm(prefix=SECTION_PREFIX)
    if form.validate_on_submit():
        try:
            institution_admin.add_section(found, _section_values(form))
        except InstitutionAdminError as refused:
            _show_refusal(form, refused)
        else:
            flash(_("Afdelingen %(name)s er oprettet.", name=form.name.data), "success")
            return redirect(url_for("admin.institution", institution_id=found.id) + "#afdelinger")
    return _render_institution(found, _institution_form(found), section_form=form, status=400)


def _render_section(
    institution: Institution, section: InstitutionSection, form: SectionForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/institution_section.html", institution=institution, section=section, form=form
    ), status


@bp.get("/institutioner/<uuid:institution_id>/afdelinger/<uuid:section_id>")
@roles_required(Role.ADMIN)
def institution_section(institution_id: uuid.UUID, section_id: uuid.UUID) -> tuple[str, int]:
    found = _institution_or_404(institution_id)
    section = _section_or_404(found, section_id)
    form = SectionForm(
        formdata=None,
        data={
            "name": section.name,
            "security_level_id": str(section.security_level_id),
            "active": section.active,
        },
    )
    return _render_section(found, section, form)


@bp.post("/institutioner/<uuid:institution_id>/afdelinger/<uuid:section_id>")
@roles_required(Role.ADMIN)
def institution_section_update(
    institution_id: uuid.UUID, section_id: uuid.UUID
) -> Response | tuple[str, int]:
    found = _institution_or_404(institution_id)
    section = _section_or_404(found, section_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            changes = institution_admin.update_section(section, _section_values(form))
        except InstitutionAdminError as refused:
            _show_refusal(form, refused)
        else:
            if changes:
                flash(_("Ændringerne er gemt."), "success")
            else:
                flash(_("Der var ingen ændringer at gemme."), "info")
            return redirect(url_for("admin.institution", institution_id=found.id) + "#afdelinger")
    return _render_section(found, section, form, 400)


@bp.post("/institutioner/<uuid:institution_id>/afdelinger/<uuid:section_id>/aktiv")
@roles_required(Role.ADMIN)
def institution_section_set_active(institution_id: uuid.UUID, section_id: uuid.UUID) -> Response:
    found = _institution_or_404(institution_id)
    section = _section_or_404(found, section_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    institution_admin.set_section_active(section, not section.active)
    if section.active:
        flash(_("Afdelingen %(name)s er aktiveret.", name=section.name), "success")
    else:
        flash(
            _(
                "Afdelingen %(name)s er deaktiveret. Den kan ikke vælges til nye aktiviteter.",
                name=section.name,
            ),
            "success",
        )
    return redirect(url_for("admin.institution", institution_id=found.id) + "#afdelinger")
