"""After the grant: the grant's page for both sides (payments, approved budget, change requests,
reports, closing, history), the officer's payment and closing forms, and the round's voucher
check. The change requests are in ``change_routes`` and the reports in ``report_routes``; both
join this blueprint.

Who sees what: the organisation's staff, grant officers, the admin and the DPO read an
accepted (or closed) grant; anyone else, and any application that is not a grant, gets 404.
Grant officers record payments, decide, close and draw the voucher sample; the organisation's
admins ask for changes and send reports, which all its staff may write.

Every form carries the version the user saw, so a step on a page that has gone stale is
refused (409) with the page as it is now, and what was typed stays in the form.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_answer_grant,
    can_assess_application,
    can_manage_rounds,
    can_write_report,
    get_grant_or_404,
    get_round_or_404,
    roles_required,
)
from portal.blueprints.grant_followup.forms import (
    CloseForm,
    DecisionForm,
    NewReportForm,
    PaymentForm,
    VersionForm,
)
from portal.labels import GRANT_EVENT_LABELS, STATE_TAGS
from portal.models import (
    ApplicationState,
    ChangeKind,
    GrantApplication,
    GrantRound,
    ReportKind,
    ReportState,
    Role,
    User,
)
from portal.money import kroner, kroner_input, units_text
from portal.services import (
    grant_applications,
    grant_changes,
    grant_followup,
    grant_payments,
    grant_reports,
    grant_vouchers,
    grant_workflow,
)
from portal.services.grant_receipts import category_label
from portal.services.volunteer_status import today
from portal.services.workflow import ConflictError, WorkflowError

bp = Blueprint("grant_followup", __name__, url_prefix="/tilskud")

STAFF = (Role.NGO_ADMIN, Role.NGO_MEMBER)
OFFICERS = (Role.GRANT_OFFICER,)
READERS = (Role.GRANT_OFFICER, Role.ADMIN, Role.DPO)


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def helpers() -> dict[str, Any]:
    return {
        "kroner": kroner,
        "units_text": units_text,
        "category_label": category_label,
        "line_values": grant_applications.values_of,
        "state_tags": STATE_TAGS,
    }


def is_staff(application: GrantApplication) -> bool:
    user = current()
    return application.organisation_id in user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)


def grant_url(application: GrantApplication, anchor: str | None = None) -> str:
    return url_for("grant_followup.grant", application_id=application.id, _anchor=anchor)


# --- the grant's page ------------------------------------------------------------------------


def _report_choices(application: GrantApplication, reports: list[Any]) -> list[ReportKind]:
    """The reports that may be begun now."""
    if any(r.kind == ReportKind.FINAL for r in reports):
        return []
    open_interim = any(
        r.kind == ReportKind.INTERIM and r.state in grant_reports.OPEN_STATES for r in reports
    )
    return [ReportKind.FINAL] if open_interim else [ReportKind.INTERIM, ReportKind.FINAL]


def render_grant(
    application: GrantApplication,
    *,
    status: int = 200,
    payment_form: PaymentForm | None = None,
    close_form: CloseForm | None = None,
    posted: DecisionForm | None = None,
    posted_change: uuid.UUID | None = None,
    problem: Any = None,
    conflict: bool = False,
) -> tuple[str, int]:
    """The grant's page; after a refused POST, with that form's input and the reason kept."""
    user = current()
    officer = bool(can_assess_application(user, application))
    is_open = application.state == ApplicationState.ACCEPTED
    changes = grant_changes.requests(application)
    change_actions: dict[uuid.UUID, list[Any]] = {}
    change_forms: dict[uuid.UUID, dict[str, DecisionForm]] = {}
    for change in changes:
        moves = grant_changes.available(user, application, change)
        change_actions[change.id] = moves
        forms = {}
        for move in moves:
            if (
                posted is not None
                and posted_change == change.id
                and posted.action.data == move.action
            ):
                if conflict:
                    posted.version.data = change.version
                    posted.version.raw_data = [str(change.version)]
                forms[move.action] = posted
            else:
                forms[move.action] = DecisionForm.for_action(
                    move.action, change.version, f"change-{change.id.hex[:8]}"
                )
        change_forms[change.id] = forms
    reports = grant_reports.reports(application)
    unspent = grant_reports.unspent_ore(application)
    closing_problems = grant_followup.closing_problems(application) if officer and is_open else []
    if close_form is None and officer and is_open and not closing_problems:
        close_form = CloseForm(
            formdata=None,
            data={"version": application.version, "repayment": kroner_input(unspent or 0)},
        )
    elif close_form is not None and conflict:
        close_form.version.data = application.version
        close_form.version.raw_data = [str(application.version)]
    history = grant_workflow.history(application)
    payments = grant_payments.payments(application)
    paid = sum(p.amount_ore for p in payments)
    error_form = next(
        (f for f in (payment_form, close_form, posted) if f is not None and f.errors), None
    )
    return render_template(
        "grant_followup/grant.html",
        application=application,
        staff=is_staff(application),
        officer=officer,
        is_open=is_open,
        payments=payments,
        paid=paid,
        remaining=max(0, (application.granted_ore or 0) - paid),
        payment_form=payment_form
        or (PaymentForm(formdata=None, paid_on=today()) if officer and is_open else None),
        changes=changes,
        change_actions=change_actions,
        change_forms=change_forms,
        posted_change=posted_change,
        may_ask_change=bool(can_answer_grant(user, application)) and is_open,
        open_kinds=grant_changes.open_kinds(application),
        change_kinds=list(ChangeKind),
        lines_by_id={str(line.id): line for line in application.budget_lines},
        approved_total=grant_changes.approved_sum(application),
        reports=reports,
        report_choices=_report_choices(application, reports)
        if can_write_report(user, application)
        else [],
        new_report_form=NewReportForm(formdata=None),
        approved_final=any(
            r.kind == ReportKind.FINAL and r.state == ReportState.APPROVED for r in reports
        ),
        unspent=unspent,
        closing_problems=closing_problems,
        close_form=close_form,
        problem=problem,
        conflict=conflict,
        error_form=error_form,
        history=list(reversed(history)),
        history_labels=GRANT_EVENT_LABELS,
        names=names(
            {e.actor_id for e in history}
            | {p.recorded_by_id for p in payments}
            | {application.closed_by_id}
        ),
        may_draw=bool(can_manage_rounds(user)),
        **helpers(),
    ), status


@bp.get("/ansoegninger/<uuid:application_id>/tilskud")
@roles_required(*STAFF, *READERS)
def grant(application_id: uuid.UUID) -> tuple[str, int]:
    return render_grant(get_grant_or_404(application_id))


# --- payments --------------------------------------------------------------------------------


@bp.post("/ansoegninger/<uuid:application_id>/udbetalinger")
@roles_required(*OFFICERS)
def record_payment(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_grant_or_404(application_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return render_grant(application, payment_form=form, status=400)
    try:
        payment = grant_payments.record_payment(
            application,
            current(),
            form.amount_ore(),
            form.paid_on.data,
            requires_interim_report=bool(form.requires_interim_report.data),
            note=form.note.data or "",
        )
    except ConflictError as error:
        return render_grant(
            application, payment_form=form, problem=error.message, conflict=True, status=409
        )
    except WorkflowError as error:
        return render_grant(application, payment_form=form, problem=error.message, status=400)
    flash(
        _(
            "Rate %(num)d på %(amount)s er registreret. Organisationen får besked på e-mail.",
            num=payment.instalment,
            amount=kroner(payment.amount_ore),
        ),
        "success",
    )
    return redirect(grant_url(application, "udbetalinger"))


# --- closing ---------------------------------------------------------------------------------


@bp.post("/ansoegninger/<uuid:application_id>/luk")
@roles_required(*OFFICERS)
def close(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_grant_or_404(application_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return render_grant(application, close_form=form, status=400)
    try:
        grant_followup.close(
            application,
            current(),
            repayment_ore=form.repayment_ore(),
            reason=form.reason.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        db.session.rollback()
        application = get_grant_or_404(application_id)
        return render_grant(
            application, close_form=form, problem=error.message, conflict=True, status=409
        )
    except WorkflowError as error:
        return render_grant(application, close_form=form, problem=error.message, status=400)
    flash(_("Tilskudssagen er lukket. Organisationen får besked på e-mail."), "success")
    return redirect(grant_url(application))


# --- the round's voucher check ---------------------------------------------------------------


def _round_vouchers(
    grant_round: GrantRound, status: int = 200, problem: Any = None
) -> tuple[str, int]:
    return render_template(
        "grant_followup/round_vouchers.html",
        grant_round=grant_round,
        grants=grant_vouchers.grants(grant_round),
        size=grant_vouchers.sample_size(
            len(grant_vouchers.grants(grant_round)), grant_round.voucher_share_percent
        ),
        may_draw=bool(can_manage_rounds(current()))
        and grant_round.voucher_seed is None
        and grant_round.state in grant_vouchers.DRAW_STATES,
        form=VersionForm(formdata=None, data={"version": grant_round.version}),
        problem=problem,
        round_link=url_for("grant_rounds.round_page", round_id=grant_round.id),
        **helpers(),
    ), status


@bp.get("/runder/<uuid:round_id>/bilagskontrol")
@roles_required(*READERS)
def round_vouchers(round_id: uuid.UUID) -> tuple[str, int]:
    return _round_vouchers(get_round_or_404(round_id))


@bp.post("/runder/<uuid:round_id>/bilagskontrol")
@roles_required(*OFFICERS)
def draw_vouchers(round_id: uuid.UUID) -> Response | tuple[str, int]:
    grant_round = get_round_or_404(round_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _round_vouchers(grant_round, 400, problem=_("Genindlæs siden, og prøv igen."))
    try:
        sampled = grant_vouchers.draw_vouchers(
            grant_round, current(), expected_version=form.version.data
        )
    except ConflictError as error:
        db.session.rollback()
        return _round_vouchers(get_round_or_404(round_id), 409, problem=error.message)
    except WorkflowError as error:
        return _round_vouchers(grant_round, 400, problem=error.message)
    flash(
        _(
            "Stikprøven er trukket: %(num)d tilskud skal sende bilag. Organisationerne får besked på e-mail.",
            num=len(sampled),
        ),
        "success",
    )
    return redirect(url_for("grant_followup.round_vouchers", round_id=grant_round.id))
