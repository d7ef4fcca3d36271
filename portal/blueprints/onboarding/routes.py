"""Becoming a partner: the public start page, the registration in steps, and the case as the
organisation sees it (status, history, answering a request for more information).

Every route loads, checks, validates its form and calls one service; the rules of a complete
application, of the terms and of the workflow live in ``portal.services.onboarding`` and
``portal.services.workflow``.
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
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth import session as auth_session
from portal.auth.permissions import get_organisation_or_404, login_required, public
from portal.blueprints.onboarding.forms import (
    AccountForm,
    DocumentsForm,
    OrganisationForm,
    SubmitForm,
    terms_form,
)
from portal.extensions import limiter, login_rate_limit
from portal.models import (
    AreaOffice,
    Municipality,
    Organisation,
    OrganisationState,
    OwnerType,
    Role,
    TermsAcceptance,
    User,
)
from portal.services import accounts, documents, membership, onboarding, workflow
from portal.services.onboarding import IncompleteApplication
from portal.services.workflow import WorkflowError

bp = Blueprint("onboarding", __name__)

# The registration's steps after the account, as endpoint names (the step indicator's order).
STEP_ENDPOINTS = {
    "details": "onboarding.details",
    "documents": "onboarding.documents",
    "terms": "onboarding.terms",
    "review": "onboarding.review",
}

# The case history in words, by the event's action (an answer's own text: "answer_text").
HISTORY_TEXTS: dict[str, Any] = {
    "submit": _l("Ansøgningen blev sendt"),
    "take": _l("Områdekontoret begyndte at behandle sagen"),
    "request_information": _l("Områdekontoret bad om flere oplysninger"),
    "answer": _l("Sagen gik tilbage til områdekontoret"),
    "approve": _l("Organisationen blev godkendt"),
    "reject": _l("Ansøgningen blev afvist"),
    "hand_over": _l("Sagen blev overdraget til det andet områdekontor"),
    "suspend": _l("Samarbejdet blev suspenderet"),
    "reinstate": _l("Samarbejdet blev genoptaget"),
    "message": _l("Besked fra områdekontoret"),
    "answer_text": _l("Svar fra organisationen"),
    "profile_change_requested": _l("Organisationen bad om at ændre navn eller CVR-nummer"),
    "profile_change_accepted": _l("Ændringen af navn eller CVR-nummer blev godkendt"),
    "profile_change_declined": _l("Ændringen af navn eller CVR-nummer blev ikke godkendt"),
}
# Reasons written between the area offices; the organisation sees that it happened, not why.
STAFF_ONLY_TEXT = {"hand_over"}


# --- helpers --------------------------------------------------------------------------------


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _max_mb() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"]


def _is_admin(organisation: Organisation) -> bool:
    return bool(workflow.actor_decision(_user(), organisation, workflow.Actor.ORGANISATION_ADMIN))


def _is_staff(organisation: Organisation) -> bool:
    return bool(workflow.actor_decision(_user(), organisation, workflow.Actor.ORGANISATION_STAFF))


def _editable_draft(organisation_id: uuid.UUID) -> Organisation:
    """The draft behind a step: visible (else 404), still a draft (else the status page), and
    the user's to edit (else 403)."""
    organisation = get_organisation_or_404(organisation_id)
    if organisation.state != OrganisationState.DRAFT:
        abort(redirect(url_for("onboarding.status", organisation_id=organisation.id)))
    if not _is_admin(organisation):
        abort(403)
    return organisation


def _municipalities() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Municipality).order_by(Municipality.name))
    return [(str(m.id), m.name) for m in rows]


def _organisation_form(organisation: Organisation | None = None, **kwargs: Any) -> OrganisationForm:
    return OrganisationForm(
        municipalities=_municipalities(),
        organisation_id=organisation.id if organisation else None,
        **kwargs,
    )


def _problems(organisation: Organisation) -> list[tuple[str, str]]:
    """(message, link to the step) for everything that keeps the application from being sent."""
    return _problem_links(organisation, onboarding.problems_before_submit(organisation))


def _problem_links(
    organisation: Organisation, problems: list[onboarding.Problem]
) -> list[tuple[str, str]]:
    return [
        (str(problem), url_for(STEP_ENDPOINTS[problem.step], organisation_id=organisation.id))
        for problem in problems
    ]


def _resume_url(organisation: Organisation) -> str:
    """Where to continue a draft: the first step with something missing, else the review."""
    problems = _problems(organisation)
    return (
        problems[0][1]
        if problems
        else url_for("onboarding.review", organisation_id=organisation.id)
    )


def _acceptances(
    organisation: Organisation,
) -> dict[uuid.UUID, tuple[TermsAcceptance, User | None]]:
    """Who accepted which version and when, by version id."""
    rows = db.session.scalars(
        select(TermsAcceptance)
        .where(TermsAcceptance.organisation_id == organisation.id)
        .order_by(TermsAcceptance.accepted_at)
    )
    return {
        row.terms_version_id: (
            row,
            db.session.get(User, row.accepted_by_id) if row.accepted_by_id else None,
        )
        for row in rows
    }


def _documents_by_purpose(organisation: Organisation) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for document in onboarding.documents_of(organisation):
        grouped.setdefault(document.purpose, []).append(document)
    return grouped


# --- the start page -------------------------------------------------------------------------


@bp.get("/bliv-samarbejdspartner")
@public
def start() -> str:
    drafts = []
    if current_user.is_authenticated:
        drafts = [(draft, _resume_url(draft)) for draft in onboarding.drafts_of(_user())]
    return render_template(
        "onboarding/start.html",
        drafts=drafts,
        statutes_formats=documents.accepted_formats("statutes"),
        report_formats=documents.accepted_formats("annual_report"),
        max_mb=_max_mb(),
    )


# --- step 1: the contact person -------------------------------------------------------------


def _render_account(form: AccountForm, status: int = 200) -> tuple[str, int]:
    login_url = url_for("auth.login", next=url_for("onboarding.start"))
    return render_template("onboarding/account.html", form=form, login_url=login_url), status


@bp.get("/bliv-samarbejdspartner/bruger")
@public
def account() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("onboarding.new_organisation"))
    return _render_account(AccountForm())


@bp.post("/bliv-samarbejdspartner/bruger")
@public
@limiter.limit(login_rate_limit)
def account_post() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("onboarding.new_organisation"))
    form = AccountForm()
    if not form.validate_on_submit():
        return _render_account(form, 400)
    try:
        user = accounts.create_user(
            form.email.data or "",
            form.name.data or "",
            form.password.data or "",
            language=str(session.get("language", "da")),
        )
    except accounts.AccountError as error:
        form.password.errors = [str(error.message)]
        return _render_account(form, 400)
    auth_session.log_in(user, "password")
    flash(
        _(
            "Din bruger er oprettet, og du er logget ind. Udfyld nu oplysningerne om organisationen."
        ),
        "success",
    )
    return redirect(url_for("onboarding.new_organisation"))


# --- step 2: the organisation ---------------------------------------------------------------


def _render_organisation(
    form: OrganisationForm, organisation: Organisation | None = None, status: int = 200
) -> tuple[str, int]:
    return (
        render_template("onboarding/organisation.html", form=form, organisation=organisation),
        status,
    )


def _after_save(organisation: Organisation, form: Any, next_step: str) -> Response:
    if form.save_close.data:
        flash(
            _("Ansøgningen er gemt som kladde. Du kan fortsætte her, når du logger ind igen."),
            "success",
        )
        return redirect(url_for("onboarding.start"))
    return redirect(url_for(STEP_ENDPOINTS[next_step], organisation_id=organisation.id))


@bp.get("/bliv-samarbejdspartner/organisation")
@login_required
def new_organisation() -> tuple[str, int]:
    return _render_organisation(_organisation_form())


@bp.post("/bliv-samarbejdspartner/organisation")
@login_required
def new_organisation_post() -> Response | tuple[str, int]:
    form = _organisation_form()
    if not form.validate_on_submit():
        return _render_organisation(form, status=400)
    organisation = onboarding.start_draft(_user(), form.values())
    flash(
        _(
            "Oplysningerne er gemt. %(office)s behandler jeres ansøgning, fordi organisationen hører til %(municipality)s Kommune.",
            office=organisation.area_office.name,
            municipality=organisation.municipality.name,
        ),
        "success",
    )
    return _after_save(organisation, form, "documents")


@bp.get("/bliv-samarbejdspartner/<uuid:organisation_id>/organisation")
@login_required
def details(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    form = _organisation_form(organisation, obj=organisation)
    return _render_organisation(form, organisation)


@bp.post("/bliv-samarbejdspartner/<uuid:organisation_id>/organisation")
@login_required
def details_post(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    form = _organisation_form(organisation)
    if not form.validate_on_submit():
        return _render_organisation(form, organisation, 400)
    changed = onboarding.update_draft(organisation, _user(), form.values())
    if "municipality_id" in changed:
        # Loaded by id: the organisation's own relationship still holds the previous office.
        office = db.session.get(AreaOffice, organisation.area_office_id)
        flash(
            _(
                "Oplysningerne er gemt. Med den nye kommune behandler %(office)s jeres ansøgning.",
                office=office.name if office else "",
            ),
            "success",
        )
    else:
        flash(_("Oplysningerne er gemt."), "success")
    return _after_save(organisation, form, "documents")


# --- step 3: documents ----------------------------------------------------------------------


def _render_documents(
    organisation: Organisation, form: DocumentsForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "onboarding/documents.html",
            organisation=organisation,
            form=form,
            uploaded=_documents_by_purpose(organisation),
        ),
        status,
    )


def _documents_form(organisation: Organisation) -> DocumentsForm:
    return DocumentsForm(uploaded=set(_documents_by_purpose(organisation)), max_mb=_max_mb())


# The function is not called "documents": that would shadow the documents service.
@bp.get("/bliv-samarbejdspartner/<uuid:organisation_id>/dokumenter", endpoint="documents")
@login_required
def documents_step(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    return _render_documents(organisation, _documents_form(organisation))


@bp.post("/bliv-samarbejdspartner/<uuid:organisation_id>/dokumenter")
@login_required
def documents_post(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    form = _documents_form(organisation)
    if not form.validate_on_submit():
        return _render_documents(organisation, form, 400)
    failed = False
    for purpose, upload in form.chosen().items():
        try:
            documents.store(
                upload,
                owner_type=OwnerType.ORGANISATION,
                owner_id=organisation.id,
                purpose=purpose,
                uploaded_by=_user(),
            )
        except documents.UploadError as error:
            form[purpose].errors = [str(error.message)]
            failed = True
    if failed:
        # The 400 rolls back every file of this submission, so none is half kept.
        return _render_documents(organisation, form, 400)
    if form.chosen():
        flash(_("Dokumenterne er gemt."), "success")
    return _after_save(organisation, form, "terms")


# --- step 4: terms --------------------------------------------------------------------------


def _render_terms(organisation: Organisation, form: Any, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "onboarding/terms.html",
            organisation=organisation,
            form=form,
            versions=onboarding.current_terms(),
            acceptances=_acceptances(organisation),
        ),
        status,
    )


def _terms_form(organisation: Organisation) -> Any:
    accepted = onboarding.accepted_versions(organisation)
    return terms_form([v for v in onboarding.current_terms() if v.id not in accepted])


@bp.get("/bliv-samarbejdspartner/<uuid:organisation_id>/vilkaar")
@login_required
def terms(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    return _render_terms(organisation, _terms_form(organisation))


@bp.post("/bliv-samarbejdspartner/<uuid:organisation_id>/vilkaar")
@login_required
def terms_post(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    form = _terms_form(organisation)
    if not form.validate_on_submit():
        return _render_terms(organisation, form, 400)
    ticked = form.ticked()
    if ticked:
        onboarding.accept_terms(organisation, _user(), ticked, ip=request.remote_addr or "")
        flash(_("Jeres accept er gemt."), "success")
    return _after_save(organisation, form, "review")


# --- step 5: check your answers and send ----------------------------------------------------


def _render_review(
    organisation: Organisation, form: SubmitForm, problems: list[Any], status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "onboarding/review.html",
            organisation=organisation,
            form=form,
            problems=_problem_links(organisation, problems),
            uploaded=_documents_by_purpose(organisation),
            required_documents=onboarding.REQUIRED_DOCUMENTS,
            versions=onboarding.current_terms(),
            acceptances=_acceptances(organisation),
            admins=[m.user for m in membership.members(organisation) if m.role == Role.NGO_ADMIN],
        ),
        status,
    )


@bp.get("/bliv-samarbejdspartner/<uuid:organisation_id>/tjek")
@login_required
def review(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = _editable_draft(organisation_id)
    form = SubmitForm()
    form.show_version(organisation.version)
    return _render_review(organisation, form, onboarding.problems_before_submit(organisation))


@bp.post("/bliv-samarbejdspartner/<uuid:organisation_id>/send")
@login_required
def submit(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    if not _is_admin(organisation):
        abort(403)
    form = SubmitForm()
    is_draft = organisation.state == OrganisationState.DRAFT
    if not form.validate_on_submit():
        if not is_draft:
            return redirect(url_for("onboarding.status", organisation_id=organisation.id))
        form.show_version(organisation.version)
        return _render_review(
            organisation, form, onboarding.problems_before_submit(organisation), 400
        )
    try:
        onboarding.submit(organisation, _user(), expected_version=form.version.data)
    except IncompleteApplication as error:
        form.show_version(organisation.version)
        return _render_review(organisation, form, error.problems, 400)
    except WorkflowError as error:
        # Sent twice, or changed in another window: nothing is done, and the user sees where
        # the case stands now.
        flash(str(error.message), "error")
        target = "onboarding.review" if is_draft else "onboarding.status"
        return redirect(url_for(target, organisation_id=organisation.id))
    return redirect(url_for("onboarding.receipt", organisation_id=organisation.id))


@bp.get("/bliv-samarbejdspartner/<uuid:organisation_id>/kvittering")
@login_required
def receipt(organisation_id: uuid.UUID) -> Response | str:
    organisation = get_organisation_or_404(organisation_id)
    if not _is_staff(organisation):
        return redirect(url_for("onboarding.status", organisation_id=organisation.id))
    if organisation.state == OrganisationState.DRAFT:
        return redirect(url_for("onboarding.review", organisation_id=organisation.id))
    return render_template("onboarding/receipt.html", organisation=organisation)
