"""The area office's side of volunteers: the register-check queue, the CPR reveal, outcomes and
access per institution; and the volunteer's own withdrawal of consent.

Caseworker routes load the volunteer through ``get_checked_volunteer_or_404``: another
office's volunteer is a 404, and the attempt is audited. The CPR number appears in one
response only, the POST of the reveal, which is audited each time.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from portal import audit, cpr, db
from portal.auth.permissions import (
    can_check_volunteer,
    get_checked_volunteer_or_404,
    roles_required,
)
from portal.blueprints.clearance.forms import (
    ALL,
    AWAITING,
    CLEARED,
    EXPIRING,
    TABS,
    GrantForm,
    OutcomeForm,
    QueueFilterForm,
    RevealForm,
    RevokeForm,
    WithdrawForm,
)
from portal.db import utcnow
from portal.labels import STATE_TAGS, VOLUNTEER_EVENT_LABELS
from portal.models import (
    AccessGrant,
    CheckOutcome,
    Institution,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.pagination import paginate
from portal.services import clearance, sensitive_reads, volunteer_history, volunteer_status

bp = Blueprint("clearance", __name__)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- the queue -------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _active_grants(day: Any) -> Any:
    return select(AccessGrant.id).where(
        AccessGrant.volunteer_id == Volunteer.id,
        AccessGrant.ended_at.is_(None),
        AccessGrant.valid_from <= day,
        AccessGrant.valid_until >= day,
    )


def _tab_query(tab: str, q: str, day: Any) -> Select[Any]:
    query = clearance.office_volunteers(_user())
    if q:
        query = query.where(Volunteer.name.ilike(_like(q), escape="\\"))
    if tab == AWAITING:
        # Oldest signature first: they have waited longest.
        return query.where(Volunteer.state == VolunteerState.AWAITING_CHECK).order_by(
            Volunteer.signed_at.is_(None), Volunteer.signed_at, Volunteer.name, Volunteer.id
        )
    if tab == CLEARED:
        return query.where(
            Volunteer.state == VolunteerState.CLEARED, ~_active_grants(day).exists()
        ).order_by(Volunteer.checked_at, Volunteer.name, Volunteer.id)
    if tab == EXPIRING:
        last_day = day + volunteer_status.reminder_window()
        expiring = _active_grants(day).where(AccessGrant.valid_until <= last_day)
        soonest = (
            select(func.min(AccessGrant.valid_until))
            .where(AccessGrant.id.in_(_active_grants(day)))
            .scalar_subquery()
        )
        return query.where(expiring.exists()).order_by(soonest, Volunteer.name, Volunteer.id)
    return query.order_by(Volunteer.name, Volunteer.id)


def _count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


@bp.get("/tjek")
@roles_required(Role.CASEWORKER)
def queue() -> str:
    form = QueueFilterForm(request.args)
    filters = form.filters()
    now = utcnow()
    day = volunteer_status.today(now)
    page = paginate(
        _tab_query(filters["tab"], filters["q"], day), request.args.get("page", 1, type=int)
    )
    counts = {tab: _count(_tab_query(tab, filters["q"], day)) for tab in TABS}
    args = {k: v for k, v in filters.items() if v and not (k == "tab" and v == AWAITING)}
    current = volunteer_status.current_versions()  # once, not per row
    soonest = {
        v.id: min((g.valid_until for g in clearance.current_grants(v, day)), default=None)
        for v in page.items
    }
    return render_template(
        "clearance/queue.html",
        form=form,
        filters=filters,
        page=page,
        args=args,
        counts=counts,
        tabs=[
            (AWAITING, _("Afventer tjek")),
            (CLEARED, _("Godkendt uden adgang")),
            (EXPIRING, _("Adgang udløber snart")),
            (ALL, _("Alle")),
        ],
        statuses={v.id: volunteer_status.status_of(v, now, current) for v in page.items},
        soonest=soonest,
        state_tags=STATE_TAGS,
    )


# --- the volunteer ---------------------------------------------------------------------------


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def _outcome_form(volunteer: Volunteer) -> OutcomeForm:
    return OutcomeForm(
        formdata=None,
        check_date=volunteer_status.today(),
        version=volunteer.version,
    )


def _render_volunteer(
    volunteer: Volunteer,
    *,
    cpr_number: str | None = None,
    outcome_form: OutcomeForm | None = None,
    revoke_form: tuple[uuid.UUID, RevokeForm] | None = None,
    problem: Any = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The volunteer's page; after a refused POST, with that form's input and the reason kept."""
    now = utcnow()
    day = volunteer_status.today(now)
    signatures = list(
        db.session.scalars(
            select(Signature)
            .where(Signature.volunteer_id == volunteer.id)
            .order_by(Signature.signed_at.desc())
        )
    )
    current = {kind: version.id for kind, version in volunteer_status.current_versions().items()}
    revoke_forms = {
        grant.id: RevokeForm(formdata=None).unique_ids(f"revoke-{grant.id}")
        for grant in clearance.current_grants(volunteer, day)
    }
    if revoke_form is not None:
        revoke_forms[revoke_form[0]] = revoke_form[1]
    if outcome_form is None and volunteer.state == VolunteerState.AWAITING_CHECK:
        outcome_form = _outcome_form(volunteer)
    if outcome_form is not None and conflict:
        # A retry must be based on what the caseworker now sees.
        outcome_form.version.data = volunteer.version
        outcome_form.version.raw_data = [str(volunteer.version)]
    events = volunteer_history.history(volunteer)
    grants = sorted(volunteer.access_grants, key=lambda g: g.granted_at, reverse=True)
    names = _names(
        {e.actor_id for e in events}
        | {g.granted_by_id for g in grants}
        | {g.ended_by_id for g in grants}
        | {volunteer.checked_by_id}
    )
    error_form = next(
        (f for f in (outcome_form, revoke_form[1] if revoke_form else None) if f and f.errors),
        None,
    )
    return render_template(
        "clearance/volunteer.html",
        volunteer=volunteer,
        status=volunteer_status.status_of(volunteer, now),
        state_tags=STATE_TAGS,
        cpr_number=cpr_number,
        cpr_masked=cpr.MASKED,
        reveal_form=RevealForm(formdata=None),
        outcome_form=outcome_form if volunteer.state == VolunteerState.AWAITING_CHECK else None,
        error_form=error_form,
        problem=problem,
        conflict=conflict,
        signatures=signatures,
        current_versions=current,
        verify_available="signing.verify_signature" in current_app.view_functions,
        grants=grants,
        active_ids={g.id for g in clearance.current_grants(volunteer, day)},
        revoke_forms=revoke_forms,
        grant_blocker=clearance.grant_blocker(volunteer, now),
        history=events,
        history_labels=VOLUNTEER_EVENT_LABELS,
        names=names,
        today=day,
    ), status


@bp.get("/tjek/frivillige/<uuid:volunteer_id>")
@roles_required(Role.CASEWORKER)
def volunteer(volunteer_id: uuid.UUID) -> tuple[str, int]:
    volunteer = get_checked_volunteer_or_404(volunteer_id)
    sensitive_reads.check_outcome_viewed(
        volunteer, page="clearance", reason_shown=bool(volunteer.check_reason)
    )
    return _render_volunteer(volunteer)


@bp.post("/tjek/frivillige/<uuid:volunteer_id>/cpr")
@roles_required(Role.CASEWORKER)
def reveal_cpr(volunteer_id: uuid.UUID) -> tuple[str, int]:
    volunteer = get_checked_volunteer_or_404(volunteer_id)
    if not RevealForm().validate_on_submit():
        return _render_volunteer(volunteer, status=400)
    try:
        number = clearance.reveal_cpr(volunteer, _user())
    except clearance.ClearanceError as error:
        return _render_volunteer(volunteer, problem=error.message, status=400)
    return _render_volunteer(volunteer, cpr_number=number)


@bp.post("/tjek/frivillige/<uuid:volunteer_id>/udfald")
@roles_required(Role.CASEWORKER)
def record_outcome(volunteer_id: uuid.UUID) -> Response | tuple[str, int]:
    volunteer = get_checked_volunteer_or_404(volunteer_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _render_volunteer(volunteer, outcome_form=form, status=400)
    outcome = CheckOutcome(form.outcome.data)
    try:
        clearance.record_outcome(
            volunteer,
            _user(),
            outcome=outcome,
            check_date=form.check_date.data,  # type: ignore[arg-type]
            reason=form.reason.data or "",
            expected_version=form.version.data,
        )
    except clearance.ConflictError as error:
        return _render_volunteer(
            volunteer, outcome_form=form, problem=error.message, conflict=True, status=409
        )
    except clearance.ClearanceError as error:
        if error.field:
            field = getattr(form, error.field)
            field.errors = [*field.errors, error.message]
            return _render_volunteer(volunteer, outcome_form=form, status=400)
        return _render_volunteer(volunteer, outcome_form=form, problem=error.message, status=400)
    if outcome == CheckOutcome.NOT_CLEARED:
        flash(
            _(
                "Resultatet er registreret: ikke godkendt. CPR-nummeret er slettet, og den frivillige og organisationen har fået besked."
            ),
            "success",
        )
    else:
        flash(
            _(
                "Resultatet er registreret: godkendt. CPR-nummeret er slettet, og den frivillige og organisationen har fået besked. Nu kan du give adgang til institutioner."
            ),
            "success",
        )
    return redirect(url_for("clearance.volunteer", volunteer_id=volunteer.id))


# --- access ----------------------------------------------------------------------------------


def _institutions(raw_ids: list[str]) -> list[Institution | None]:
    """The institutions the form named; None for a value that is no institution's id."""
    found: list[Institution | None] = []
    for raw in raw_ids:
        try:
            found.append(db.session.get(Institution, uuid.UUID(raw)))
        except ValueError:
            found.append(None)
    return found


def _institution_rows(volunteer: Volunteer, day: Any) -> list[dict[str, Any]]:
    current = {g.institution_id: g for g in clearance.current_grants(volunteer, day)}
    return [
        {
            "institution": institution,
            "days": clearance.validity_days(institution),
            "default": clearance.default_valid_until(institution, day),
            "preparation_missing": clearance.preparation_required(institution)
            and not volunteer.preparations,
            "current": current.get(institution.id),
        }
        for institution in clearance.grantable_institutions(volunteer)
    ]


@bp.route("/tjek/frivillige/<uuid:volunteer_id>/adgang", methods=["GET", "POST"])
@roles_required(Role.CASEWORKER)
def grant_access(volunteer_id: uuid.UUID) -> Response | tuple[str, int]:
    volunteer = get_checked_volunteer_or_404(volunteer_id)
    now = utcnow()
    day = volunteer_status.today(now)
    rows = _institution_rows(volunteer, day)
    form = GrantForm()
    form.institutions.choices = [(str(r["institution"].id), r["institution"].name) for r in rows]
    problems: list[Any] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                grants = clearance.grant_access(
                    volunteer,
                    _user(),
                    _institutions(form.institutions.data or []),
                    valid_until=form.valid_until.data,
                    now=now,
                )
            except clearance.ConflictError as error:
                problems, status = [error.message], 409
            except clearance.ClearanceError as error:
                problems = error.problems
            else:
                flash(
                    _(
                        "%(name)s har fået adgang til %(count)d institution(er). Den frivillige og organisationen har fået besked.",
                        name=volunteer.name,
                        count=len(grants),
                    ),
                    "success",
                )
                return redirect(url_for("clearance.volunteer", volunteer_id=volunteer.id))
    return render_template(
        "clearance/grant.html",
        volunteer=volunteer,
        form=form,
        rows=rows,
        chosen=set(form.institutions.data or []),
        problems=problems,
        blocker=clearance.grant_blocker(volunteer, now),
    ), status


def _grant_or_404(grant_id: uuid.UUID) -> AccessGrant:
    """A grant of a volunteer of the caseworker's own area office (else 404, audited)."""
    grant = db.session.get(AccessGrant, grant_id)
    if grant is None:
        abort(404)
    decision = can_check_volunteer(_user(), grant.volunteer)
    if not decision:
        audit.record_security_event(
            "access.denied",
            object_type="access_grant",
            object_id=grant.id,
            details={"reason": decision.reason},
        )
        abort(404)
    return grant


@bp.post("/tjek/adgang/<uuid:grant_id>/tilbagekald")
@roles_required(Role.CASEWORKER)
def revoke_access(grant_id: uuid.UUID) -> Response | tuple[str, int]:
    grant = _grant_or_404(grant_id)
    volunteer = grant.volunteer
    form = RevokeForm().unique_ids(f"revoke-{grant.id}")
    if not form.validate_on_submit():
        return _render_volunteer(volunteer, revoke_form=(grant.id, form), status=400)
    try:
        clearance.revoke_access(grant, _user(), form.reason.data or "")
    except clearance.ConflictError as error:
        return _render_volunteer(volunteer, problem=error.message, conflict=True, status=409)
    except clearance.ClearanceError as error:
        return _render_volunteer(
            volunteer, revoke_form=(grant.id, form), problem=error.message, status=400
        )
    flash(
        _(
            "Adgangen til %(institution)s er tilbagekaldt. Den frivillige og organisationen har fået begrundelsen.",
            institution=grant.institution.name,
        ),
        "success",
    )
    return redirect(url_for("clearance.volunteer", volunteer_id=volunteer.id))


# --- the volunteer's withdrawal of consent ---------------------------------------------------


def _own_volunteer_or_404(volunteer_id: uuid.UUID) -> Volunteer:
    """The volunteer record of the logged-in volunteer themself (else 404, audited)."""
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        abort(404)
    if volunteer.user_id is None or volunteer.user_id != current_user.id:
        audit.record_security_event(
            "access.denied",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"reason": "another person's volunteer record"},
        )
        abort(404)
    return volunteer


def _my_page() -> str:
    if "signing.my_page" in current_app.view_functions:
        return url_for("signing.my_page")
    return url_for("main.dashboard")


@bp.route("/mig/frivillig/<uuid:volunteer_id>/tilbagetraek", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def withdraw(volunteer_id: uuid.UUID) -> Response | tuple[str, int]:
    volunteer = _own_volunteer_or_404(volunteer_id)
    form = WithdrawForm()
    problem: Any = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                clearance.withdraw_consent(volunteer, _user())
            except clearance.ConflictError as error:
                problem, status = error.message, 409
            except clearance.ClearanceError as error:
                problem = error.message
            else:
                flash(
                    _(
                        "Dit samtykke er trukket tilbage. Din adgang til kriminalforsorgens institutioner er stoppet, og organisationen og områdekontoret har fået besked."
                    ),
                    "success",
                )
                return redirect(_my_page())
    day = volunteer_status.today()
    return render_template(
        "clearance/withdraw.html",
        volunteer=volunteer,
        form=form,
        problem=problem,
        grants=clearance.current_grants(volunteer, day),
        withdrawn=volunteer.state == VolunteerState.WITHDRAWN,
        back=_my_page(),
    ), status
