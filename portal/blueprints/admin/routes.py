"""The admin's pages: users and roles, invitations, and the reference data."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth.permissions import roles_required
from portal.blueprints.admin.forms import (
    AreaOfficeForm,
    ConfirmForm,
    InviteForm,
    MunicipalityForm,
    RoleScopeForm,
    UserSearchForm,
)
from portal.csv_export import csv_response
from portal.db import utcnow
from portal.labels import label
from portal.models import (
    AccountToken,
    AreaOffice,
    Institution,
    Municipality,
    Organisation,
    Role,
    RoleAssignment,
    TokenPurpose,
    User,
)
from portal.pagination import paginate
from portal.services import accounts, reference

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required(Role.ADMIN)
def _admins_only() -> None:
    """Every admin page is for admins; each view also says so for the route test."""


def _get_or_404(model: Any, object_id: uuid.UUID) -> Any:
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


# --- users -----------------------------------------------------------------------------------


def _user_query(form: UserSearchForm) -> Any:
    query = select(User).order_by(User.name)
    if form.q.data:
        pattern = f"%{form.q.data.strip().lower()}%"
        query = query.where(or_(User.email.ilike(pattern), User.name.ilike(pattern)))
    if form.role.data in {role.value for role in Role}:  # an unknown role in the URL: no filter
        query = query.where(User.role_assignments.any(RoleAssignment.role == Role(form.role.data)))
    if form.status.data:
        query = query.where(User.active.is_(form.status.data == "active"))
    return query


@bp.get("/brugere")
@roles_required(Role.ADMIN)
def users() -> str:
    form = UserSearchForm(request.args)
    form.validate()
    page = paginate(_user_query(form), request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/users.html", form=form, page=page, args=args)


@bp.get("/brugere.csv")
@roles_required(Role.ADMIN)
def users_csv() -> Response:
    form = UserSearchForm(request.args)
    form.validate()
    rows = [
        (
            u.name,
            u.email,
            ", ".join(sorted(label(r) for r in u.roles)),
            _("Aktiv") if u.active else _("Deaktiveret"),
        )
        for u in db.session.scalars(_user_query(form))
    ]
    # A list of people's names and addresses leaving the portal: the DPO sees it in the log.
    audit.record(
        "user.exported",
        object_type="user",
        details={
            "filter": {k: v for k, v in request.args.items() if k != "page" and v},
            "count": len(rows),
        },
    )
    return csv_response("brugere.csv", [_("Navn"), _("E-mail"), _("Roller"), _("Status")], rows)


def _scope_names(user: User) -> dict[uuid.UUID, str]:
    """What each of the user's roles applies to, by name."""
    names = {}
    models = {
        "organisation_id": Organisation,
        "area_office_id": AreaOffice,
        "institution_id": Institution,
    }
    for assignment in user.role_assignments:
        column = assignment.role.scope
        if column:
            scoped = db.session.get(models[column], getattr(assignment, column))
            names[assignment.id] = scoped.name if scoped else ""
    return names


def _render_user(user: User, role_form: RoleScopeForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/user.html",
        user=user,
        role_form=role_form,
        confirm=ConfirmForm(),
        scope_names=_scope_names(user),
    ), status


@bp.get("/brugere/<uuid:user_id>")
@roles_required(Role.ADMIN)
def user(user_id: uuid.UUID) -> tuple[str, int]:
    return _render_user(_get_or_404(User, user_id), RoleScopeForm())


@bp.post("/brugere/<uuid:user_id>/roller")
@roles_required(Role.ADMIN)
def user_grant_role(user_id: uuid.UUID) -> Response | tuple[str, int]:
    target = _get_or_404(User, user_id)
    form = RoleScopeForm()
    if not form.validate_on_submit():
        return _render_user(target, form, 400)
    accounts.grant_role(target, Role(form.role.data), granted_by=current_user, **form.scope())
    flash(_("Rollen er tildelt."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/brugere/<uuid:user_id>/roller/<uuid:assignment_id>/fjern")
@roles_required(Role.ADMIN)
def user_revoke_role(user_id: uuid.UUID, assignment_id: uuid.UUID) -> Response:
    target = _get_or_404(User, user_id)
    assignment = next((a for a in target.role_assignments if a.id == assignment_id), None)
    if assignment is None or not ConfirmForm().validate_on_submit():
        abort(404 if assignment is None else 400)
    if target.id == current_user.id and assignment.role == Role.ADMIN:
        flash(_("Du kan ikke fjerne din egen administratorrolle."), "error")
    else:
        accounts.revoke_role(target, assignment)
        flash(_("Rollen er fjernet."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/brugere/<uuid:user_id>/aktiv")
@roles_required(Role.ADMIN)
def user_set_active(user_id: uuid.UUID) -> Response:
    target = _get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if target.id == current_user.id:
        flash(_("Du kan ikke deaktivere dig selv."), "error")
    else:
        accounts.set_active(target, not target.active)
        flash(
            _("Brugeren er aktiveret.")
            if target.active
            else _("Brugeren er deaktiveret og logget ud."),
            "success",
        )
    return redirect(url_for("admin.user", user_id=target.id))


# --- invitations -----------------------------------------------------------------------------


@bp.get("/invitationer")
@roles_required(Role.ADMIN)
def invitations() -> str:
    query = (
        select(AccountToken)
        .where(AccountToken.purpose == TokenPurpose.INVITATION)
        .order_by(AccountToken.created_at.desc())
    )
    page = paginate(query, request.args.get("page", 1, type=int))
    return render_template("admin/invitations.html", page=page, now=utcnow(), confirm=ConfirmForm())


@bp.get("/invitationer/ny")
@roles_required(Role.ADMIN)
def invite() -> str:
    return render_template("admin/invite.html", form=InviteForm())


@bp.post("/invitationer/ny")
@roles_required(Role.ADMIN)
def invite_post() -> Response | tuple[str, int]:
    form = InviteForm()
    if not form.validate_on_submit():
        return render_template("admin/invite.html", form=form), 400
    accounts.invite(
        form.email.data or "",
        form.name.data or "",
        Role(form.role.data),
        invited_by=current_user,
        **form.scope(),
    )
    flash(_("Invitationen er sendt til %(email)s.", email=form.email.data), "success")
    return redirect(url_for("admin.invitations"))


@bp.post("/invitationer/<uuid:token_id>/tilbagekald")
@roles_required(Role.ADMIN)
def invitation_revoke(token_id: uuid.UUID) -> Response:
    token = _get_or_404(AccountToken, token_id)
    if token.purpose != TokenPurpose.INVITATION:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.revoke_invitation(token)
    flash(_("Invitationen er tilbagekaldt."), "success")
    return redirect(url_for("admin.invitations"))


# --- reference data --------------------------------------------------------------------------
# One institution's pages (its form, contact people and sections) are in institution_details.py.


@bp.get("/institutioner")
@roles_required(Role.ADMIN)
def institutions() -> str:
    query = select(Institution).order_by(Institution.name)
    area = request.args.get("omraade")
    if area:
        query = query.join(Institution.area_office).where(AreaOffice.code == area)
    page = paginate(query, request.args.get("page", 1, type=int), per_page=50)
    offices = list(db.session.scalars(select(AreaOffice).order_by(AreaOffice.name)))
    return render_template("admin/institutions.html", page=page, offices=offices, area=area)


@bp.get("/kommuner")
@roles_required(Role.ADMIN)
def municipalities() -> str:
    rows = list(
        db.session.scalars(select(Municipality).order_by(Municipality.region, Municipality.name))
    )
    offices = list(db.session.scalars(select(AreaOffice).order_by(AreaOffice.name)))
    return render_template("admin/municipalities.html", municipalities=rows, offices=offices)


@bp.post("/kommuner/<uuid:municipality_id>")
@roles_required(Role.ADMIN)
def municipality_update(municipality_id: uuid.UUID) -> Response:
    found = _get_or_404(Municipality, municipality_id)
    form = MunicipalityForm()
    if not form.validate_on_submit():
        abort(400)
    office = _get_or_404(AreaOffice, uuid.UUID(form.area_office_id.data))
    reference.save_municipality(found, office)
    flash(_("%(name)s hører nu under %(office)s.", name=found.name, office=office.name), "success")
    return redirect(url_for("admin.municipalities") + f"#m-{found.code}")


@bp.get("/omraadekontorer")
@roles_required(Role.ADMIN)
def area_offices() -> str:
    offices = list(db.session.scalars(select(AreaOffice).order_by(AreaOffice.name)))
    return render_template("admin/area_offices.html", offices=offices)


@bp.get("/omraadekontorer/<uuid:office_id>")
@roles_required(Role.ADMIN)
def area_office(office_id: uuid.UUID) -> str:
    office = _get_or_404(AreaOffice, office_id)
    return render_template("admin/area_office.html", office=office, form=AreaOfficeForm(obj=office))


@bp.post("/omraadekontorer/<uuid:office_id>")
@roles_required(Role.ADMIN)
def area_office_update(office_id: uuid.UUID) -> Response | tuple[str, int]:
    office = _get_or_404(AreaOffice, office_id)
    form = AreaOfficeForm()
    if not form.validate_on_submit():
        return render_template("admin/area_office.html", office=office, form=form), 400
    reference.save_area_office(
        office,
        {
            "name": form.name.data or "",
            "email": form.email.data or "",
            "phone": form.phone.data or "",
            "address": form.address.data or "",
        },
    )
    flash(_("Ændringerne er gemt."), "success")
    return redirect(url_for("admin.area_offices"))
