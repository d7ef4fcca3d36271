"""An approved organisation's own pages: profile, members and invitations, directory entry.

Every view loads the organisation with ``get_organisation_or_404``, so another organisation's
pages answer 404. What only the organisation's admin may do answers 403 to the others who may
see the organisation (its members and the service's staff).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import get_organisation_or_404, login_required
from portal.blueprints.organisations.forms import (
    ROLES,
    ConfirmForm,
    DirectoryEntryForm,
    InviteColleagueForm,
    MemberRoleForm,
    ProfileForm,
)
from portal.db import utcnow
from portal.labels import STATE_TAGS
from portal.models import (
    AccountToken,
    Organisation,
    OrganisationState,
    Role,
    TokenPurpose,
    User,
)
from portal.services import accounts, directory, membership, onboarding, workflow
from portal.services.membership import Member
from portal.services.workflow import WorkflowError

bp = Blueprint("organisations", __name__)

# The organisation's own page (profile, members, directory) opens once it is approved;
# a suspended organisation keeps it, read-only where the suspension says so.
OPEN_STATES = (OrganisationState.APPROVED, OrganisationState.SUSPENDED)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _is_admin(organisation: Organisation) -> bool:
    return bool(workflow.actor_decision(_user(), organisation, workflow.Actor.ORGANISATION_ADMIN))


def _is_staff(organisation: Organisation) -> bool:
    return bool(workflow.actor_decision(_user(), organisation, workflow.Actor.ORGANISATION_STAFF))


def _organisation_for_admin(organisation_id: uuid.UUID) -> Organisation:
    """The organisation, if its admin asks; 404 for other tenants, 403 for the others."""
    organisation = get_organisation_or_404(organisation_id)
    if not _is_admin(organisation):
        abort(403)
    return organisation


def _case_link(organisation: Organisation) -> str | None:
    """Where this user follows the case: the organisation's status page for its staff, the
    case page for the area office's caseworkers."""
    if _is_staff(organisation):
        return url_for("onboarding.status", organisation_id=organisation.id)
    if workflow.actor_decision(_user(), organisation, workflow.Actor.CASEWORKER):
        return url_for("cases.case", organisation_id=organisation.id)
    return None


def _pending_invitations(organisation: Organisation) -> list[AccountToken]:
    return list(
        db.session.scalars(
            select(AccountToken)
            .where(
                AccountToken.purpose == TokenPurpose.INVITATION,
                AccountToken.organisation_id == organisation.id,
                AccountToken.used_at.is_(None),
                AccountToken.revoked_at.is_(None),
                AccountToken.expires_at > utcnow(),
            )
            .order_by(AccountToken.created_at.desc())
        )
    )


def _members_url(organisation: Organisation) -> str:
    return url_for("organisations.members", organisation_id=organisation.id)


# --- the organisation's page -----------------------------------------------------------------


def _render_profile(
    organisation: Organisation, form: ProfileForm, status: int = 200
) -> tuple[str, int]:
    context = {
        "organisation": organisation,
        "case_link": _case_link(organisation),
        "is_staff": _is_staff(organisation),
        "state_tags": STATE_TAGS,
    }
    if organisation.state not in OPEN_STATES:
        return render_template("organisations/not_open.html", **context), status
    members = membership.members(organisation)
    return render_template(
        "organisations/profile.html",
        form=form,
        is_admin=_is_admin(organisation),
        admins=sum(1 for m in members if m.role == Role.NGO_ADMIN and m.user.active),
        staff=sum(1 for m in members if m.role == Role.NGO_MEMBER),
        invitations=len(_pending_invitations(organisation)),
        **context,
    ), status


@bp.get("/organisationer/<uuid:organisation_id>")
@login_required
def profile(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    return _render_profile(organisation, ProfileForm.of(organisation))


@bp.post("/organisationer/<uuid:organisation_id>/profil")
@login_required
def profile_post(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _organisation_for_admin(organisation_id)
    form = ProfileForm(organisation)
    if not form.validate_on_submit():
        return _render_profile(organisation, form, 400)
    try:
        changed = onboarding.update_profile(organisation, _user(), form.values())
    except WorkflowError as error:
        form.form_errors.append(str(error.message))
        return _render_profile(organisation, form, 400)
    if changed["pending"]:
        flash(
            _(
                "Ændringen af navn eller CVR-nummer er sendt til områdekontoret. Den gælder, når de har godkendt den."
            ),
            "info",
        )
    if changed["applied"]:
        flash(_("Ændringerne er gemt."), "success")
    if not changed["applied"] and not changed["pending"]:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("organisations.profile", organisation_id=organisation.id))


# --- members and invitations -----------------------------------------------------------------


def _render_members(
    organisation: Organisation, invite_form: InviteColleagueForm, status: int = 200
) -> tuple[str, int]:
    members = membership.members(organisation)
    return render_template(
        "organisations/members.html",
        organisation=organisation,
        members=members,
        admins=sum(1 for m in members if m.role == Role.NGO_ADMIN and m.user.active),
        invitations=_pending_invitations(organisation),
        invite_form=invite_form,
        role_form=MemberRoleForm(),
        confirm=ConfirmForm(),
        is_admin=_is_admin(organisation),
        days=current_app.config["PORTAL"]["INVITATION_DAYS"],
    ), status


def _member_or_404(organisation: Organisation, user_id: uuid.UUID) -> Member:
    found = next((m for m in membership.members(organisation) if m.user.id == user_id), None)
    if found is None:
        abort(404)
    return found


@bp.get("/organisationer/<uuid:organisation_id>/medlemmer")
@login_required
def members(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    return _render_members(organisation, InviteColleagueForm())


@bp.post("/organisationer/<uuid:organisation_id>/medlemmer/inviter")
@login_required
def invite(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _organisation_for_admin(organisation_id)
    form = InviteColleagueForm()
    if not form.validate_on_submit():
        return _render_members(organisation, form, 400)
    try:
        membership.invite_colleague(
            organisation,
            _user(),
            form.email.data or "",
            form.name.data or "",
            ROLES[form.role.data or "member"],
        )
    except WorkflowError as error:
        form.form_errors.append(str(error.message))
        return _render_members(organisation, form, 400)
    flash(_("Invitationen er sendt til %(email)s.", email=form.email.data), "success")
    return redirect(_members_url(organisation))


@bp.post("/organisationer/<uuid:organisation_id>/medlemmer/<uuid:user_id>/rolle")
@login_required
def member_role(organisation_id: uuid.UUID, user_id: uuid.UUID) -> Response:
    organisation = _organisation_for_admin(organisation_id)
    member = _member_or_404(organisation, user_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = ROLES[form.role.data or ""]
    try:
        membership.set_member_role(organisation, _user(), member.user, role)
    except WorkflowError as error:
        flash(str(error.message), "error")
        return redirect(_members_url(organisation))
    if member.user.id == _user().id and role == Role.NGO_MEMBER:
        flash(_("Du er nu medarbejder. Administratorerne kan give dig rollen tilbage."), "success")
    elif role == Role.NGO_ADMIN:
        flash(_("%(name)s er nu administrator.", name=member.user.name), "success")
    else:
        flash(_("%(name)s er nu medarbejder.", name=member.user.name), "success")
    return redirect(_members_url(organisation))


@bp.post("/organisationer/<uuid:organisation_id>/medlemmer/<uuid:user_id>/fjern")
@login_required
def member_remove(organisation_id: uuid.UUID, user_id: uuid.UUID) -> Response:
    organisation = _organisation_for_admin(organisation_id)
    member = _member_or_404(organisation, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        membership.remove_member(organisation, _user(), member.user)
    except WorkflowError as error:
        flash(str(error.message), "error")
        return redirect(_members_url(organisation))
    if member.user.id == _user().id:
        # Out of the organisation, its pages are closed to them: back to the overview.
        flash(_("Du er ikke længere med i %(name)s.", name=organisation.name), "success")
        return redirect(url_for("main.dashboard"))
    flash(_("%(name)s er fjernet fra organisationen.", name=member.user.name), "success")
    return redirect(_members_url(organisation))


@bp.post("/organisationer/<uuid:organisation_id>/invitationer/<uuid:token_id>/tilbagekald")
@login_required
def invitation_revoke(organisation_id: uuid.UUID, token_id: uuid.UUID) -> Response:
    organisation = _organisation_for_admin(organisation_id)
    token = db.session.get(AccountToken, token_id)
    if (
        token is None
        or token.purpose != TokenPurpose.INVITATION
        or token.organisation_id != organisation.id
    ):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not token.usable(utcnow()):
        flash(_("Invitationen er allerede taget imod, tilbagekaldt eller udløbet."), "info")
    else:
        accounts.revoke_invitation(token)
        flash(_("Invitationen til %(email)s er tilbagekaldt.", email=token.email), "success")
    return redirect(_members_url(organisation))


# --- the directory entry ---------------------------------------------------------------------


def _render_directory_entry(
    organisation: Organisation, form: DirectoryEntryForm, status: int = 200
) -> tuple[str, int]:
    shown = organisation.state == OrganisationState.APPROVED and organisation.directory_listed
    return render_template(
        "organisations/directory_entry.html",
        organisation=organisation,
        form=form,
        public_link=url_for("directory.entry", organisation_id=organisation.id) if shown else None,
    ), status


@bp.get("/organisationer/<uuid:organisation_id>/katalog")
@login_required
def directory_entry(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = _organisation_for_admin(organisation_id)
    return _render_directory_entry(organisation, DirectoryEntryForm.of(organisation))


@bp.post("/organisationer/<uuid:organisation_id>/katalog")
@login_required
def directory_entry_post(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _organisation_for_admin(organisation_id)
    form = DirectoryEntryForm()
    if not form.validate_on_submit():
        return _render_directory_entry(organisation, form, 400)
    try:
        directory.update_directory_entry(
            organisation, _user(), form.values(), form.institution_uuids()
        )
    except WorkflowError as error:
        form.form_errors.append(str(error.message))
        return _render_directory_entry(organisation, form, 400)
    if organisation.directory_listed and organisation.state == OrganisationState.APPROVED:
        flash(_("Katalogoplysningerne er gemt og vises i kataloget."), "success")
    elif organisation.directory_listed and organisation.state == OrganisationState.SUSPENDED:
        flash(
            _(
                "Katalogoplysningerne er gemt. Mens samarbejdet er suspenderet, vises I ikke i kataloget."
            ),
            "success",
        )
    elif organisation.directory_listed:
        flash(
            _("Katalogoplysningerne er gemt. De vises, når organisationen er godkendt."),
            "success",
        )
    else:
        flash(_("Katalogoplysningerne er gemt. I vises ikke i kataloget."), "success")
    return redirect(url_for("organisations.directory_entry", organisation_id=organisation.id))
