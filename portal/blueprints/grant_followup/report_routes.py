"""Reports on a grant: the organisation's staff begin and write one (narrative, volunteer
hours, actual spending per budget line, the audited accounts and vouchers when they are
required), an admin sends it after the checks, and a grant officer approves it or asks for
more. The page is the form while the report may be edited and read-only otherwise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_answer_grant,
    can_write_report,
    get_grant_or_404,
    get_grant_report_or_404,
    roles_required,
)
from portal.blueprints.grant_followup.forms import (
    DecisionForm,
    NewReportForm,
    ReportForm,
    VersionForm,
)
from portal.blueprints.grant_followup.routes import (
    OFFICERS,
    READERS,
    STAFF,
    bp,
    current,
    grant_url,
    helpers,
    is_staff,
    names,
    render_grant,
)
from portal.models import Document, GrantApplication, GrantReport, ReportKind, Role
from portal.money import kroner_input
from portal.services import documents, grant_payments, grant_report_accounts, grant_reports
from portal.services.grant_reports import LineEntry, ReportProblems, ReportValues
from portal.services.workflow import ConflictError, WorkflowError

DONE: dict[str, Any] = {
    "submit": lambda: _(
        "Rapporten er sendt. Puljeforvalteren får besked og svarer her i portalen."
    ),
    "approve": lambda: _("Rapporten er godkendt. Organisationen får besked på e-mail."),
    "ask_more": lambda: _(
        "Rapporten er sendt tilbage til organisationen med din besked. Den får besked på e-mail."
    ),
}


def report_url(report: GrantReport, anchor: str | None = None) -> str:
    return url_for("grant_followup.report", report_id=report.id, _anchor=anchor)


def _edit_form(report: GrantReport, application: GrantApplication) -> ReportForm:
    figures = grant_report_accounts.figures(report, application)
    return ReportForm(
        formdata=None,
        data={
            "version": report.version,
            "narrative": report.narrative,
            "volunteer_hours": _hours_text(report),
            "lines": [
                {
                    "line_id": str(f.line.id),
                    "actual": kroner_input(f.actual_ore) if f.actual_ore is not None else "",
                    "explanation": f.explanation,
                }
                for f in figures.lines
            ],
        },
    )


def _hours_text(report: GrantReport) -> str:
    hours = report.volunteer_hours
    if not hours:
        return ""
    return format(hours.normalize(), "f").replace(".", ",")


def _max_mb() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"]  # type: ignore[no-any-return]


def render_report(
    report: GrantReport,
    application: GrantApplication,
    *,
    form: ReportForm | None = None,
    posted: DecisionForm | None = None,
    status: int = 200,
    problem: Any = None,
    problems: list[Any] | None = None,
    conflict: bool = False,
) -> tuple[str, int]:
    user = current()
    editable = report.state in grant_reports.EDITABLE_STATES and bool(
        can_write_report(user, application)
    )
    if editable and form is None:
        form = _edit_form(report, application)
    if form is not None and conflict:
        # What was typed stays; a new save is based on the report as it is now.
        form.version.data = report.version
        form.version.raw_data = [str(report.version)]
    if form is not None:
        form.audited_accounts.description = _(
            "Formater: %(formats)s. Filen må højst være %(mb)d MB.",
            formats=documents.accepted_formats("annual_report"),
            mb=_max_mb(),
        )
        form.vouchers.description = _(
            "Samlet i én fil. Formater: %(formats)s. Filen må højst være %(mb)d MB.",
            formats=documents.accepted_formats("attachment"),
            mb=_max_mb(),
        )
    figures = grant_report_accounts.figures(report, application)
    by_line = {str(f.line.id): f for f in figures.lines}
    if form is not None:
        _mark_needed(form, report, application, by_line)
    moves = grant_reports.available(user, application, report)
    decision_forms = {
        t.action: posted
        if posted is not None and posted.action.data == t.action
        else DecisionForm.for_action(t.action, report.version, "report")
        for t in moves
        if t.action != "submit"
    }
    if posted is not None and conflict:
        posted.version.data = report.version
        posted.version.raw_data = [str(report.version)]
    document_ids = [
        i for i in (report.audited_accounts_document_id, report.vouchers_document_id) if i
    ]
    attached = (
        {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(document_ids)))}
        if document_ids
        else {}
    )
    found = (
        problems
        if problems is not None
        else (grant_report_accounts.problems(report, application) if editable else [])
    )
    error_form = next((f for f in (form, posted) if f is not None and f.errors), None)
    return render_template(
        "grant_followup/report.html",
        report=report,
        application=application,
        form=form if editable else None,
        editable=editable,
        staff=is_staff(application),
        may_submit=any(t.action == "submit" for t in moves),
        submit_form=VersionForm(formdata=None, data={"version": report.version}),
        decision_forms=decision_forms,
        figures=figures,
        by_line=by_line,
        audited_required=grant_report_accounts.audited_accounts_required(report, application),
        vouchers_required=grant_report_accounts.vouchers_required(report, application),
        attached=attached,
        problems=found,
        refused=problems is not None,
        problem=problem,
        conflict=conflict,
        error_form=error_form,
        paid=grant_payments.paid_ore(application),
        threshold_percent=grant_report_accounts.EXPLANATION_SHARE_PERCENT,
        threshold_ore=grant_report_accounts.EXPLANATION_MIN_ORE,
        names=names({report.submitted_by_id, report.decided_by_id}),
        **helpers(),
    ), status


def _mark_needed(
    form: ReportForm,
    report: GrantReport,
    application: GrantApplication,
    by_line: dict[str, grant_report_accounts.LineFigures],
) -> None:
    """What sending needs is marked as such (a draft is saved without it), so the labels do
    not say "optional" about it."""
    form.narrative.flags.required = True
    final = report.kind == ReportKind.FINAL
    for entry in form.lines.entries:
        entry.form.actual.flags.required = True
        found = by_line.get(entry.form.line_id.data or "")
        entry.form.explanation.flags.required = bool(final and found and found.needs_explanation)
    form.audited_accounts.flags.required = grant_report_accounts.audited_accounts_required(
        report, application
    )
    form.vouchers.flags.required = grant_report_accounts.vouchers_required(report, application)


def _report_and_application(report_id: uuid.UUID) -> tuple[GrantReport, GrantApplication]:
    report = get_grant_report_or_404(report_id)
    return report, grant_reports.application_of(report)


@bp.post("/ansoegninger/<uuid:application_id>/rapporter")
@roles_required(*STAFF)
def new_report(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_grant_or_404(application_id)
    form = NewReportForm()
    if not form.validate_on_submit():
        return render_grant(
            application, problem=_("Vælg, hvilken rapport I vil skrive."), status=400
        )
    try:
        report = grant_reports.start_report(application, current(), ReportKind(form.kind.data))
    except WorkflowError as error:
        return render_grant(application, problem=error.message, status=400)
    return redirect(report_url(report))


@bp.route("/rapporter/<uuid:report_id>", methods=["GET", "POST"])
@roles_required(*STAFF, *READERS)
def report(report_id: uuid.UUID) -> Response | tuple[str, int]:
    report, application = _report_and_application(report_id)
    if request.method == "GET":
        return render_report(report, application)
    if not is_staff(application):
        abort(403)
    form = ReportForm()
    if report.state not in grant_reports.EDITABLE_STATES or not can_write_report(
        current(), application
    ):
        return render_report(
            report,
            application,
            status=409,
            problem=_("Rapporten er sendt og kan ikke ændres nu. Intet er gemt."),
        )
    if not form.validate_on_submit():
        return render_report(report, application, form=form, status=400)
    values = ReportValues(
        narrative=form.narrative.data or "",
        volunteer_hours=form.hours(),
        lines=[
            LineEntry(
                _line_id(entry.form.line_id.data),
                entry.form.actual_ore(),
                entry.form.explanation.data or "",
            )
            for entry in form.lines.entries
            if _line_id(entry.form.line_id.data) is not None
        ],
    )
    try:
        grant_reports.save_report(
            report, application, current(), values, expected_version=form.version.data
        )
        for which in ("audited_accounts", "vouchers"):
            upload = request.files.get(which)
            if upload is not None and upload.filename:
                try:
                    grant_reports.store_document(report, application, current(), which, upload)
                except documents.UploadError as error:
                    form[which].errors = [str(error.message)]
                    # The response rolls back: nothing of this save is kept.
                    return render_report(
                        report,
                        application,
                        form=form,
                        problem=_(
                            "Filen kunne ikke gemmes, så intet er gemt. Det, du har skrevet, står stadig i formularen; vælg filen igen."
                        ),
                        status=400,
                    )
    except ConflictError as error:
        db.session.rollback()
        report, application = _report_and_application(report_id)
        return render_report(
            report, application, form=form, problem=error.message, conflict=True, status=409
        )
    except WorkflowError as error:
        return render_report(report, application, form=form, problem=error.message, status=400)
    flash(_("Rapporten er gemt."), "success")
    return redirect(report_url(report))


def _line_id(raw: str | None) -> Any:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@bp.post("/rapporter/<uuid:report_id>/indsend")
@roles_required(Role.NGO_ADMIN)
def submit_report(report_id: uuid.UUID) -> Response | tuple[str, int]:
    report, application = _report_and_application(report_id)
    if not can_answer_grant(current(), application):
        abort(403)
    form = VersionForm()
    if not form.validate_on_submit():
        return render_report(
            report, application, problem=_("Genindlæs siden, og prøv igen."), status=400
        )
    try:
        grant_reports.take(
            report, application, "submit", current(), expected_version=form.version.data
        )
    except ReportProblems as refused:
        return render_report(report, application, problems=refused.problems, status=400)
    except ConflictError as error:
        db.session.rollback()
        report, application = _report_and_application(report_id)
        return render_report(report, application, problem=error.message, conflict=True, status=409)
    except WorkflowError as error:
        return render_report(report, application, problem=error.message, status=400)
    flash(DONE["submit"](), "success")
    return redirect(grant_url(application, "rapporter"))


@bp.post("/rapporter/<uuid:report_id>/afgoer")
@roles_required(*OFFICERS)
def decide_report(report_id: uuid.UUID) -> Response | tuple[str, int]:
    report, application = _report_and_application(report_id)
    form = DecisionForm()
    form.prepare("report")
    if not form.validate_on_submit() or form.action.data not in ("approve", "ask_more"):
        return render_report(report, application, posted=form, status=400)
    action = form.action.data
    try:
        grant_reports.take(
            report,
            application,
            action,
            current(),
            text=form.text.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        db.session.rollback()
        report, application = _report_and_application(report_id)
        return render_report(
            report, application, posted=form, problem=error.message, conflict=True, status=409
        )
    except WorkflowError as error:
        return render_report(report, application, posted=form, problem=error.message, status=400)
    flash(DONE[action](), "success")
    return redirect(report_url(report))
