"""Permissions in one place.

Coarse gates are decorators on views; every view carries one (``public``, ``login_required``
or ``roles_required``) and a test fails for a view without. Object checks return a
``Decision`` that can explain a refusal, and the ``get_*_or_404`` helpers load and authorise
together, so another tenant's record answers 404 and the attempt is audited.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from flask_login import login_required as _flask_login_required
from sqlalchemy import Select, false, select

from portal import audit, db
from portal.models import (
    Activity,
    ApplicationState,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    Organisation,
    OrganisationState,
    OwnerType,
    ReviewAssignment,
    Role,
    RoundState,
    Signature,
    User,
    Volunteer,
)

F = TypeVar("F", bound=Callable[..., Any])

STAFF_ROLES = frozenset(
    {
        Role.CASEWORKER,
        Role.INSTITUTION_CONTACT,
        Role.GRANT_OFFICER,
        Role.REVIEWER,
        Role.DPO,
        Role.ADMIN,
    }
)


def _mark(view: F, access: object) -> F:
    view._portal_access = access  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Open to everyone, logged in or not."""
    return _mark(view, "public")


def login_required(view: F) -> F:
    """Any logged-in user."""
    return _mark(_flask_login_required(view), "login")


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Logged in and holding at least one of ``roles``; otherwise 403."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return _mark(_flask_login_required(wrapper), frozenset(roles))

    return decorator


def access_of(view: Callable[..., Any]) -> object:
    return getattr(view, "_portal_access", None)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def can_view_organisation(user: User, organisation: Organisation) -> Decision:
    if user.has_role(Role.ADMIN, Role.DPO) or (
        user.has_role(Role.GRANT_OFFICER) and organisation.state != OrganisationState.DRAFT
    ):
        return ALLOW
    members = (Role.NGO_ADMIN, Role.NGO_MEMBER)
    if any(organisation.id in user.scopes(role) for role in members):
        return ALLOW
    if organisation.state == OrganisationState.DRAFT:
        # A draft is the applicant's own until it is sent.
        return Decision(False, "a draft is visible only to the organisation")
    if organisation.area_office_id in user.scopes(Role.CASEWORKER):
        return ALLOW
    return Decision(False, "organisation outside the user's organisations and area office")


def can_view_institution(user: User, institution: Institution) -> Decision:
    if user.has_role(Role.ADMIN, Role.DPO):
        return ALLOW
    if institution.area_office_id in user.scopes(Role.CASEWORKER):
        return ALLOW
    if institution.id in user.scopes(Role.INSTITUTION_CONTACT):
        return ALLOW
    return Decision(False, "institution outside the user's area office and institutions")


def can_upload_for_organisation(user: User, organisation: Organisation) -> Decision:
    """Staff of the organisation add its documents; the service only reads them."""
    if organisation.id in user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER):
        return ALLOW
    return Decision(False, "only the organisation's own staff upload its documents")


def _attached_to_reviewed_application(user: User, document: Document) -> bool:
    """A reviewer reads the attachments of the applications they may review (assigned to
    them, no conflict of interest declared), and nothing else of the organisation's."""
    if not user.has_role(Role.REVIEWER):
        return False
    applications = db.session.scalars(
        select(GrantApplication).where(GrantApplication.attachments.any(document_id=document.id))
    )
    return any(can_review_application(user, application) for application in applications)


def can_view_document(user: User, document: Document) -> Decision:
    """A document is visible exactly to those who may see what it belongs to."""
    if document.owner_type == OwnerType.ORGANISATION:
        organisation = db.session.get(Organisation, document.owner_id)
        if organisation is None:
            return Decision(False, "owner gone")
        decision = can_view_organisation(user, organisation)
        if not decision and _attached_to_reviewed_application(user, document):
            return ALLOW
        return decision
    if document.owner_type == OwnerType.USER:
        if document.owner_id == user.id or user.has_role(Role.ADMIN, Role.DPO):
            return ALLOW
        return Decision(False, "another person's document")
    return Decision(False, f"no rule for documents of {document.owner_type}")


NGO_STAFF = (Role.NGO_ADMIN, Role.NGO_MEMBER)


def _ngo_staff_of(user: User) -> set[uuid.UUID]:
    return user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)


def can_manage_volunteer(user: User, volunteer: Volunteer) -> Decision:
    """The organisation's staff register, invite and prepare its volunteers."""
    if volunteer.organisation_id in _ngo_staff_of(user):
        return ALLOW
    return Decision(False, "only the organisation's staff manage its volunteers")


def can_check_volunteer(user: User, volunteer: Volunteer) -> Decision:
    """A caseworker of the organisation's area office records checks and grants access."""
    if volunteer.organisation.area_office_id in user.scopes(Role.CASEWORKER):
        return ALLOW
    return Decision(False, "volunteer outside the caseworker's area office")


def can_view_volunteer(user: User, volunteer: Volunteer) -> Decision:
    """The volunteer, their organisation's staff, the area office's caseworkers, admin and DPO.

    What each of them sees of the volunteer differs (never the CPR number or register content
    for the organisation); this only decides whether the record exists for them.
    """
    if user.has_role(Role.ADMIN, Role.DPO) or volunteer.user_id == user.id:
        return ALLOW
    if can_manage_volunteer(user, volunteer) or can_check_volunteer(user, volunteer):
        return ALLOW
    return Decision(False, "volunteer outside the user's organisations and area office")


def can_verify_signature(user: User, signature: Signature) -> Decision:
    """Staff who verify signatures: the area office's caseworkers, the admin and the DPO."""
    if user.has_role(Role.ADMIN, Role.DPO):
        return ALLOW
    volunteer = db.session.get(Volunteer, signature.volunteer_id)
    if volunteer is not None and can_check_volunteer(user, volunteer):
        return ALLOW
    return Decision(False, "signature outside the user's area office")


def visible_volunteers(user: User) -> Select[tuple[Volunteer]]:
    """A query for exactly the volunteers this user may see."""
    query = select(Volunteer)
    if user.has_role(Role.ADMIN, Role.DPO):
        return query
    areas = user.scopes(Role.CASEWORKER)
    return query.join(Organisation, Organisation.id == Volunteer.organisation_id).where(
        Volunteer.organisation_id.in_(_ngo_staff_of(user))
        | Organisation.area_office_id.in_(areas)
        | (Volunteer.user_id == user.id)
    )


def visible_organisations(user: User) -> Select[tuple[Organisation]]:
    """A query for exactly the organisations this user may see."""
    query = select(Organisation)
    if user.has_role(Role.ADMIN, Role.DPO):
        return query
    own = Organisation.id.in_(user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER))
    sent = Organisation.state != OrganisationState.DRAFT
    if user.has_role(Role.GRANT_OFFICER):
        return query.where(own | sent)
    areas = Organisation.area_office_id.in_(user.scopes(Role.CASEWORKER))
    return query.where(own | (areas & sent))


def _parse_id(raw: object) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        abort(404)


def _load_or_404(model: type[Any], raw_id: object, check: Callable[[User, Any], Decision]) -> Any:
    obj = db.session.get(model, _parse_id(raw_id))
    if obj is None:
        abort(404)
    decision = check(current_user, obj)
    if not decision:
        audit.record_security_event(
            "access.denied",
            object_type=model.__tablename__,
            object_id=obj.id,
            details={"reason": decision.reason},
        )
        abort(404)
    return obj


def can_propose_activities(user: User, organisation: Organisation) -> Decision:
    """The staff of an approved organisation propose (and change) its activities."""
    if organisation.id not in _ngo_staff_of(user):
        return Decision(False, "only the organisation's staff propose its activities")
    if organisation.state != OrganisationState.APPROVED:
        return Decision(False, "the organisation is not approved")
    return ALLOW


def can_decide_at(user: User, institution: Institution) -> Decision:
    """The institution's contact people and the caseworkers of its area office decide
    activities there (and see its calendar and gate list)."""
    if institution.id in user.scopes(Role.INSTITUTION_CONTACT):
        return ALLOW
    if institution.area_office_id in user.scopes(Role.CASEWORKER):
        return ALLOW
    return Decision(False, "institution outside the user's institutions and area office")


def can_decide_activity(user: User, activity: Activity) -> Decision:
    return can_decide_at(user, activity.institution)


def can_view_activity(user: User, activity: Activity) -> Decision:
    """The organisation's staff, the deciders at the institution, admin and DPO."""
    if user.has_role(Role.ADMIN, Role.DPO) or activity.organisation_id in _ngo_staff_of(user):
        return ALLOW
    return can_decide_activity(user, activity)


def decidable_institution_ids(user: User) -> Select[tuple[uuid.UUID]]:
    """The ids of the institutions where the user decides activities."""
    return select(Institution.id).where(
        Institution.id.in_(user.scopes(Role.INSTITUTION_CONTACT))
        | Institution.area_office_id.in_(user.scopes(Role.CASEWORKER))
    )


def visible_activities(user: User) -> Select[tuple[Activity]]:
    """A query for exactly the activities this user may see."""
    query = select(Activity)
    if user.has_role(Role.ADMIN, Role.DPO):
        return query
    return query.where(
        Activity.organisation_id.in_(_ngo_staff_of(user))
        | Activity.institution_id.in_(decidable_institution_ids(user))
    )


def get_activity_or_404(activity_id: object) -> Activity:
    return _load_or_404(Activity, activity_id, can_view_activity)


def can_view_institution_calendar(user: User, institution: Institution) -> Decision:
    """The institution's calendar and gate list: its deciders (contacts, the area office's
    caseworkers), admin and DPO."""
    if user.has_role(Role.ADMIN, Role.DPO):
        return ALLOW
    return can_decide_at(user, institution)


def can_view_organisation_calendar(user: User, organisation: Organisation) -> Decision:
    """The organisation's calendar: its staff, admin and DPO."""
    if user.has_role(Role.ADMIN, Role.DPO) or organisation.id in _ngo_staff_of(user):
        return ALLOW
    return Decision(False, "only the organisation's staff see its calendar")


def can_manage_institution_feed(user: User, institution: Institution) -> Decision:
    """The institution's deciders make and renew its secret calendar feed address."""
    return can_decide_at(user, institution)


def can_manage_organisation_feed(user: User, organisation: Organisation) -> Decision:
    """The organisation's administrators make and renew its feed address (renewing stops the
    address everyone in the organisation subscribed to)."""
    if organisation.id in user.scopes(Role.NGO_ADMIN):
        return ALLOW
    return Decision(False, "only the organisation's administrators manage its calendar feed")


def get_calendar_institution_or_404(institution_id: object) -> Institution:
    return _load_or_404(Institution, institution_id, can_view_institution_calendar)


def get_calendar_organisation_or_404(organisation_id: object) -> Organisation:
    return _load_or_404(Organisation, organisation_id, can_view_organisation_calendar)


# --- grants -----------------------------------------------------------------------------------


def can_manage_rounds(user: User) -> Decision:
    """Grant officers open and run the rounds (the admin only reads them)."""
    if user.has_role(Role.GRANT_OFFICER):
        return ALLOW
    return Decision(False, "only grant officers manage grant rounds")


def can_view_round(user: User, grant_round: GrantRound) -> Decision:
    """A published round is for everyone logged in; a draft for grant officers, admin, DPO."""
    if grant_round.state != RoundState.DRAFT:
        return ALLOW
    if user.has_role(Role.GRANT_OFFICER, Role.ADMIN, Role.DPO):
        return ALLOW
    return Decision(False, "a draft round")


def can_edit_application(user: User, application: GrantApplication, now: Any = None) -> Decision:
    """The organisation's staff (admins and members) edit a draft while the round is open,
    by the server's clock."""
    from portal.services import grant_rounds

    if application.organisation_id not in _ngo_staff_of(user):
        return Decision(False, "only the organisation's staff write its applications")
    if application.organisation.state != OrganisationState.APPROVED:
        return Decision(False, "the organisation is not approved")
    if application.state != ApplicationState.DRAFT:
        return Decision(False, "the application is submitted")
    if not grant_rounds.accepting(application.round, now):
        return Decision(False, "the round does not take applications now")
    return ALLOW


def can_submit_application(user: User, application: GrantApplication) -> Decision:
    """Only an NGO admin of the organisation submits."""
    if application.organisation_id in user.scopes(Role.NGO_ADMIN):
        return ALLOW
    return Decision(False, "only the organisation's admins submit")


def can_view_application(user: User, application: GrantApplication) -> Decision:
    """The organisation's staff; once submitted, grant officers; admin and DPO; a reviewer
    the applications assigned to them, unless they declared a conflict of interest."""
    if application.organisation_id in _ngo_staff_of(user):
        return ALLOW
    if user.has_role(Role.ADMIN, Role.DPO):
        return ALLOW
    if application.state == ApplicationState.DRAFT:
        return Decision(False, "a draft is the organisation's own")
    if user.has_role(Role.GRANT_OFFICER):
        return ALLOW
    if can_review_application(user, application):
        return ALLOW
    return Decision(False, "application outside the user's organisations")


def can_assess_application(user: User, application: GrantApplication) -> Decision:
    """Grant officers screen, decide, record payments and close (never a draft)."""
    if not user.has_role(Role.GRANT_OFFICER):
        return Decision(False, "only grant officers assess applications")
    if application.state == ApplicationState.DRAFT:
        return Decision(False, "a draft is the organisation's own")
    return ALLOW


def can_answer_grant(user: User, application: GrantApplication) -> Decision:
    """The organisation's admins accept or decline a grant, ask for changes and submit
    reports on its behalf."""
    if application.organisation_id in user.scopes(Role.NGO_ADMIN):
        return ALLOW
    return Decision(False, "only the organisation's admins answer for it")


def review_assignment(user: User, application: GrantApplication) -> ReviewAssignment | None:
    """The user's assignment to review the application, if any (conflicts included)."""
    if not user.has_role(Role.REVIEWER):
        return None
    return db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.reviewer_id == user.id,
        )
    )


def can_review_application(user: User, application: GrantApplication) -> Decision:
    """A reviewer sees and scores only what is assigned to them, and nothing on which they
    declared a conflict of interest."""
    if application.state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED):
        return Decision(False, "not yet screened")
    assignment = review_assignment(user, application)
    if assignment is None:
        return Decision(False, "not assigned to this reviewer")
    if assignment.conflict_declared_at is not None:
        return Decision(False, "the reviewer declared a conflict of interest")
    return ALLOW


def visible_review_assignments(user: User) -> Select[tuple[ReviewAssignment]]:
    """The reviewer's own assignments (conflicts included, so they can see what they
    declared, but never the applications behind them)."""
    return select(ReviewAssignment).where(ReviewAssignment.reviewer_id == user.id)


def can_read_assessment(user: User, application: GrantApplication) -> Decision:
    """The officers' side of a sent application (screening, scores, decision, payments):
    grant officers, and the admin and DPO to read."""
    if application.state == ApplicationState.DRAFT:
        return Decision(False, "a draft is the organisation's own")
    if user.has_role(Role.GRANT_OFFICER, Role.ADMIN, Role.DPO):
        return ALLOW
    return Decision(False, "only grant officers, the admin and the DPO read the assessment")


GRANT_STATES = (ApplicationState.ACCEPTED, ApplicationState.CLOSED)


def can_view_grant(user: User, application: GrantApplication) -> Decision:
    """The grant after it was accepted (payments, changes, reports): the organisation's
    staff, grant officers, admin and DPO."""
    if application.state not in GRANT_STATES:
        return Decision(False, "no grant accepted")
    if application.organisation_id in _ngo_staff_of(user):
        return ALLOW
    if user.has_role(Role.GRANT_OFFICER, Role.ADMIN, Role.DPO):
        return ALLOW
    return Decision(False, "grant outside the user's organisations")


def can_write_report(user: User, application: GrantApplication) -> Decision:
    """The organisation's staff write reports on an accepted grant (admins send them)."""
    if application.state != ApplicationState.ACCEPTED:
        return Decision(False, "reports are written on an accepted, open grant")
    if application.organisation_id in _ngo_staff_of(user):
        return ALLOW
    return Decision(False, "only the organisation's staff write its reports")


def get_review_assignment_or_404(assignment_id: object) -> ReviewAssignment:
    """The reviewer's own assignment; anyone else's is a 404 (audited as a denial)."""
    return _load_or_404(
        ReviewAssignment,
        assignment_id,
        lambda user, assignment: Decision(
            assignment.reviewer_id == user.id and user.has_role(Role.REVIEWER),
            "another reviewer's assignment",
        ),
    )


# grant assessment (the officers' case pages)
def get_assessed_application_or_404(application_id: object) -> GrantApplication:
    """A sent application on the officers' side: grant officers, and the admin and DPO to
    read; a draft, or anyone else, gets 404 (audited as a denial)."""
    return _load_or_404(GrantApplication, application_id, can_read_assessment)


def get_round_or_404(round_id: object) -> GrantRound:
    return _load_or_404(GrantRound, round_id, can_view_round)


def get_application_or_404(application_id: object) -> GrantApplication:
    return _load_or_404(GrantApplication, application_id, can_view_application)


# --- grants: after the grant (grant_followup) --------------------------------------------------


def get_grant_or_404(application_id: object) -> GrantApplication:
    """An accepted (or closed) grant the user may see; anything else is a 404."""
    return _load_or_404(GrantApplication, application_id, can_view_grant)


def _grant_part_check(user: User, part: Any) -> Decision:
    """A change request or report is seen by those who see its grant."""
    application = db.session.get(GrantApplication, part.application_id)
    if application is None:
        return Decision(False, "no grant")
    return can_view_grant(user, application)


def get_change_request_or_404(change_id: object) -> Any:
    from portal.models import GrantChangeRequest

    return _load_or_404(GrantChangeRequest, change_id, _grant_part_check)


def get_grant_report_or_404(report_id: object) -> Any:
    from portal.models import GrantReport

    return _load_or_404(GrantReport, report_id, _grant_part_check)


def get_organisation_or_404(organisation_id: object) -> Organisation:
    return _load_or_404(Organisation, organisation_id, can_view_organisation)


def get_document_or_404(document_id: object) -> Document:
    return _load_or_404(Document, document_id, can_view_document)


def get_institution_or_404(institution_id: object) -> Institution:
    return _load_or_404(Institution, institution_id, can_view_institution)


INSTITUTION_READERS = (
    Role.NGO_ADMIN,
    Role.NGO_MEMBER,
    Role.CASEWORKER,
    Role.INSTITUTION_CONTACT,
    Role.ADMIN,
    Role.DPO,
)


def can_browse_institutions(user: User) -> Decision:
    """Who may look up institutions' details (address, visiting hours, contact people, the
    rules that hold there): the service's own staff (caseworkers, institution contacts), admin,
    DPO, and the staff of an approved organisation, who propose activities there."""
    if user.has_role(Role.ADMIN, Role.DPO, Role.CASEWORKER, Role.INSTITUTION_CONTACT):
        return ALLOW
    staff_of = _ngo_staff_of(user)
    if staff_of and db.session.scalar(
        select(Organisation.id)
        .where(Organisation.id.in_(staff_of), Organisation.state == OrganisationState.APPROVED)
        .limit(1)
    ):
        return ALLOW
    return Decision(False, "institution details are for staff and approved organisations")


def can_view_institution_details(user: User, institution: Institution) -> Decision:
    """An active institution's page is for everyone who may browse institutions; an inactive
    one only for admin, DPO and its deciders (its contacts, its area office's caseworkers)."""
    decision = can_browse_institutions(user)
    if not decision or institution.active or user.has_role(Role.ADMIN, Role.DPO):
        return decision
    if can_decide_at(user, institution):
        return ALLOW
    return Decision(False, "an inactive institution")


def visible_institutions(user: User) -> Select[tuple[Institution]]:
    """A query for exactly the institutions whose details this user may see."""
    query = select(Institution)
    if not can_browse_institutions(user):
        return query.where(false())
    if user.has_role(Role.ADMIN, Role.DPO):
        return query
    return query.where(Institution.active | Institution.id.in_(decidable_institution_ids(user)))


def get_institution_details_or_404(institution_id: object) -> Institution:
    return _load_or_404(Institution, institution_id, can_view_institution_details)


def get_volunteer_or_404(volunteer_id: object) -> Volunteer:
    return _load_or_404(Volunteer, volunteer_id, can_view_volunteer)


def get_managed_volunteer_or_404(volunteer_id: object) -> Volunteer:
    """A volunteer of the user's own organisation (NGO staff pages)."""
    return _load_or_404(Volunteer, volunteer_id, can_manage_volunteer)


def get_checked_volunteer_or_404(volunteer_id: object) -> Volunteer:
    """A volunteer of the caseworker's area office (check and access pages)."""
    return _load_or_404(Volunteer, volunteer_id, can_check_volunteer)


def get_signature_or_404(signature_id: object) -> Signature:
    return _load_or_404(Signature, signature_id, can_verify_signature)


# --- privacy: the DPO's records and the person's own data requests ------------------------------


def can_handle_privacy(user: User) -> Decision:
    """The record of processing, data-subject requests, retention and the audit log are the
    DPO's."""
    if user.has_role(Role.DPO):
        return ALLOW
    return Decision(False, "only the data protection officer")


def get_subject_request_or_404(request_id: object) -> Any:
    """A data-subject request on the DPO's side; anyone else gets 404 (audited)."""
    from portal.models import DataSubjectRequest

    return _load_or_404(DataSubjectRequest, request_id, lambda u, _r: can_handle_privacy(u))


def get_own_subject_request_or_404(request_id: object) -> Any:
    """The person's own request; another person's is a 404 (audited)."""
    from portal.models import DataSubjectRequest

    return _load_or_404(
        DataSubjectRequest,
        request_id,
        lambda user, request: Decision(
            request.subject_user_id is not None and request.subject_user_id == user.id,
            "another person's request",
        ),
    )
