"""The organisation's side of volunteers: register, import, invite, prepare, follow their status.

Every route is for NGO staff (admins and members alike). A volunteer is loaded with
``get_managed_volunteer_or_404``, so another organisation's volunteer answers 404 and the
attempt is audited. The organisation sees a volunteer's status, never the CPR number, the
register's content or the caseworker's assessment: the check shows only as approved or not.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth.permissions import get_managed_volunteer_or_404, roles_required
from portal.blueprints import organisation_choice
from portal.blueprints.volunteers import csv_import
from portal.blueprints.volunteers.forms import (
    ConfirmForm,
    FilterForm,
    ImportForm,
    PreparationForm,
    RenewForm,
    VolunteerForm,
)
from portal.csv_export import csv_response
from portal.labels import STATE_TAGS, VOLUNTEER_EVENT_LABELS, label
from portal.models import (
    CheckOutcome,
    Organisation,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.pagination import PER_PAGE, Page
from portal.services import sensitive_reads, volunteer_history, volunteers
from portal.services.volunteer_status import (
    VolunteerStatus,
    active_grants,
    outdated_kinds,
    status_of,
    today,
)
from portal.services.volunteers import DuplicateVolunteer, VolunteerError
from portal.services.workflow import WorkflowError

bp = Blueprint("volunteers", __name__, url_prefix="/frivillige")

STAFF = (Role.NGO_ADMIN, Role.NGO_MEMBER)

# Only these events' texts are shown to the organisation (what material, which declarations,
# which institutions); a caseworker's free text, such as a revocation's reason, is not.
HISTORY_TEXTS = frozenset({"preparation", "signed", "access_granted", "access_expired"})


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- which organisation ----------------------------------------------------------------------


def _organisation() -> tuple[Organisation, dict[str, str]]:
    return organisation_choice.staff_organisation("volunteers")


_others = organisation_choice.other_organisations


# --- the list --------------------------------------------------------------------------------


def _page(items: list[Any], number: int) -> Page[Any]:
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(max(number, 1), pages)
    start = (number - 1) * PER_PAGE
    return Page(items[start : start + PER_PAGE], number, PER_PAGE, len(items))


def _count(organisation: Organisation) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Volunteer)
            .where(Volunteer.organisation_id == organisation.id)
        )
        or 0
    )


@bp.get("")
@roles_required(*STAFF)
def index() -> str:
    organisation, org_args = _organisation()
    form = FilterForm(request.args)
    search, status = form.filters()
    found = volunteers.with_status(organisation, search, status)
    page = _page(found, request.args.get("page", 1, type=int))
    args = {**org_args, **({"q": search} if search else {})}
    if status is not None:
        args["status"] = status.value
    return render_template(
        "volunteers/index.html",
        organisation=organisation,
        others=_others(organisation),
        org_args=org_args,
        form=form,
        page=page,
        args=args,
        total=_count(organisation),
        refusal=volunteers.registration_refusal(organisation),
        state_tags=STATE_TAGS,
    )


def _access_text(volunteer: Volunteer) -> str:
    return "; ".join(
        _("%(institution)s til %(date)s", institution=g.institution.name, date=g.valid_until)
        for g in active_grants(volunteer, today())
    )


@bp.get("/eksport.csv")
@roles_required(*STAFF)
def export_csv() -> Response:
    organisation, _args = _organisation()
    search, status = FilterForm(request.args).filters()
    found = volunteers.with_status(organisation, search, status)
    # Status and access only: never a CPR number, a check outcome's reason or register content.
    rows = (
        (
            v.name,
            v.email,
            v.phone,
            label(s),
            _access_text(v),
            _("ja") if v.visiting_friend else _("nej"),
            max((p.prepared_on for p in v.preparations), default=""),
        )
        for v, s in found
    )
    audit.record(
        "volunteer.exported",
        object_type="organisation",
        object_id=organisation.id,
        details={"count": len(found)},
    )
    header = [
        _("Navn"),
        _("E-mail"),
        _("Telefon"),
        _("Status"),
        _("Adgang (institution til dato)"),
        _("Besøgsven"),
        _("Senest forberedt"),
    ]
    return csv_response("frivillige.csv", header, rows)


# --- register one ----------------------------------------------------------------------------


@bp.route("/ny", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> Response | tuple[str, int]:
    organisation, org_args = _organisation()
    form = VolunteerForm()
    refusal = volunteers.registration_refusal(organisation)
    status = 200
    if request.method == "POST" and refusal is None:
        if form.validate_on_submit():
            try:
                volunteer = volunteers.register(organisation, _user(), form.values())
            except DuplicateVolunteer as error:
                form.email.errors = [*form.email.errors, str(error.message)]
            except WorkflowError as error:
                form.form_errors.append(str(error.message))
            else:
                flash(
                    _(
                        "%(name)s er registreret og har fået en e-mail med et link til at underskrive.",
                        name=volunteer.name,
                    ),
                    "success",
                )
                return redirect(url_for("volunteers.detail", volunteer_id=volunteer.id))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "volunteers/new.html",
        organisation=organisation,
        org_args=org_args,
        form=form,
        refusal=refusal,
        days=current_app.config["PORTAL"]["VOLUNTEER_INVITATION_DAYS"],
    ), status


# --- import ----------------------------------------------------------------------------------


@bp.get("/import/skabelon.csv")
@roles_required(*STAFF)
def csv_template() -> Response:
    header, rows = csv_import.template()
    return csv_response("frivillige-skabelon.csv", header, rows)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_csv() -> tuple[str, int]:
    organisation, org_args = _organisation()
    form = ImportForm()
    refusal = volunteers.registration_refusal(organisation)
    context: dict[str, Any] = {
        "organisation": organisation,
        "org_args": org_args,
        "form": form,
        "refusal": refusal,
        "problems": [],
        "max_rows": volunteers.MAX_IMPORT_ROWS,
    }
    if request.method == "GET":
        return render_template("volunteers/import.html", **context), 200
    if refusal is not None or not form.validate_on_submit():
        return render_template("volunteers/import.html", **context), 400
    data = form.file.data.read(csv_import.MAX_BYTES + 1)
    result = csv_import.read(data, organisation, form.language.data or "da")
    if not result.ok:
        context["problems"] = result.problems
        form.form_errors.append(
            _("Filen er ikke importeret, fordi den har fejl. Se hvad der skal rettes herunder.")
        )
        return render_template("volunteers/import.html", **context), 400
    try:
        imported = volunteers.register_many(organisation, _user(), result.rows)
    except VolunteerError as error:
        form.form_errors.append(str(error.message))
        return render_template("volunteers/import.html", **context), 400
    return render_template(
        "volunteers/imported.html", organisation=organisation, org_args=org_args, imported=imported
    ), 200


# --- one volunteer ---------------------------------------------------------------------------


def _check_result(volunteer: Volunteer) -> tuple[Any, str | None]:
    """The register check as the organisation sees it: approved, not approved or waiting.

    "Cleared after assessment" is shown as plain "approved"; the assessment is not theirs.
    """
    if volunteer.check_outcome in (CheckOutcome.CLEARED, CheckOutcome.CLEARED_AFTER_ASSESSMENT):
        return _("Godkendt"), "success"
    if volunteer.check_outcome == CheckOutcome.NOT_CLEARED:
        return _("Ikke godkendt"), "error"
    if volunteer.state == VolunteerState.AWAITING_CHECK:
        return _("Afventer områdekontorets tjek"), None
    return _("Afventer underskrift"), None


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def _signatures(volunteer: Volunteer) -> list[Signature]:
    return list(
        db.session.scalars(
            select(Signature)
            .where(Signature.volunteer_id == volunteer.id)
            .order_by(Signature.signed_at.desc())
        )
    )


def _render_detail(volunteer: Volunteer, renew_form: RenewForm | None = None) -> str:
    status = status_of(volunteer)
    events = volunteer_history.history(volunteer)
    return render_template(
        "volunteers/detail.html",
        volunteer=volunteer,
        organisation=volunteer.organisation,
        status=status,
        check=_check_result(volunteer),
        signatures=_signatures(volunteer),
        outdated=outdated_kinds(volunteer) if status == VolunteerStatus.RESIGN_NEEDED else [],
        grants=sorted(volunteer.access_grants, key=lambda g: g.valid_until, reverse=True),
        today=today(),
        events=events,
        actors=_names({e.actor_id for e in events}),
        history_labels=VOLUNTEER_EVENT_LABELS,
        history_texts=HISTORY_TEXTS,
        confirm=ConfirmForm(),
        renew_form=renew_form or RenewForm(),
        refusal=volunteers.registration_refusal(volunteer.organisation),
        renewable=volunteers.renewal_refusal(volunteer, on_request=True) is None,
        state_tags=STATE_TAGS,
    )


@bp.get("/<uuid:volunteer_id>")
@roles_required(*STAFF)
def detail(volunteer_id: uuid.UUID) -> str:
    volunteer = get_managed_volunteer_or_404(volunteer_id)
    # "Ikke godkendt" tells the organisation about a criminal record: a read to account for.
    sensitive_reads.check_outcome_viewed(volunteer, page="organisation")
    return _render_detail(volunteer)


def _detail_url(volunteer: Volunteer, anchor: str | None = None) -> str:
    return url_for("volunteers.detail", volunteer_id=volunteer.id, _anchor=anchor)


@bp.post("/<uuid:volunteer_id>/invitation")
@roles_required(*STAFF)
def resend_invitation(volunteer_id: uuid.UUID) -> Response:
    volunteer = get_managed_volunteer_or_404(volunteer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        volunteers.resend_invitation(volunteer, _user())
    except WorkflowError as error:
        flash(str(error.message), "error")
    else:
        flash(
            _(
                "Der er sendt et nyt link til %(email)s. Det gamle link virker ikke længere.",
                email=volunteer.email,
            ),
            "success",
        )
    return redirect(_detail_url(volunteer, "invitation"))


@bp.route("/<uuid:volunteer_id>/forberedelse", methods=["GET", "POST"])
@roles_required(*STAFF)
def add_preparation(volunteer_id: uuid.UUID) -> Response | tuple[str, int]:
    volunteer = get_managed_volunteer_or_404(volunteer_id)
    form = PreparationForm()
    if request.method == "GET":
        form.prepared_on.data = today()
        form.prepared_by.data = _user().name
        return render_template("volunteers/preparation.html", volunteer=volunteer, form=form), 200
    if form.validate_on_submit():
        try:
            volunteers.add_preparation(
                volunteer,
                _user(),
                form.prepared_on.data,
                form.material.data or "",
                form.prepared_by.data or "",
            )
        except WorkflowError as error:
            form.form_errors.append(str(error.message))
        else:
            flash(_("Forberedelsen er registreret."), "success")
            return redirect(_detail_url(volunteer, "forberedelse"))
    return render_template("volunteers/preparation.html", volunteer=volunteer, form=form), 400


@bp.post("/<uuid:volunteer_id>/fornyelse")
@roles_required(*STAFF)
def renew(volunteer_id: uuid.UUID) -> Response:
    volunteer = get_managed_volunteer_or_404(volunteer_id)
    form = RenewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        volunteers.renew(volunteer, _user(), on_request=bool(form.on_request.data))
    except WorkflowError as error:
        flash(str(error.message), "error")
    else:
        flash(
            _(
                "Fornyelsen er startet. %(name)s har fået en e-mail med et nyt link og skal underskrive igen, før områdekontoret tjekker på ny.",
                name=volunteer.name,
            ),
            "success",
        )
    return redirect(_detail_url(volunteer))
