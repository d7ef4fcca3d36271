"""What the application page shows once the application is sent: where it is (screening,
review, decision), the decision with its letter, the organisation's answer (accept or
decline, for its admins), the history and the messages to the grant officers, and links to
the grant officers' case page and to the grant after it was accepted.

The other pages are other blueprints' (grant_assessment, grant_followup); they are linked
only where the app has them.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from sqlalchemy import select

from portal import db
from portal.auth.permissions import can_read_assessment, can_view_grant
from portal.blueprints.grant_applications.forms import ANSWER_ACTIONS, AnswerForm, MessageForm
from portal.labels import GRANT_EVENT_LABELS, STATE_TAGS, label
from portal.models import (
    GRANTING,
    ApplicationState,
    Document,
    GrantApplication,
    Role,
    User,
)
from portal.services import grant_workflow


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def context(
    application: GrantApplication,
    user: User,
    *,
    answer_form: AnswerForm | None = None,
    message_form: MessageForm | None = None,
) -> dict[str, Any]:
    """The template values of the sent application's status, answer, history and messages.
    ``answer_form`` / ``message_form``: a refused POST, shown with what the user typed."""
    history = grant_workflow.history(application)
    answers = [
        t.action for t in grant_workflow.available(user, application) if t.action in ANSWER_ACTIONS
    ]
    posted = answer_form.action.data if answer_form is not None else None
    forms = {
        action: answer_form
        if answer_form is not None and posted == action
        else AnswerForm.for_action(action, application.version)
        for action in answers
    }
    staff = application.organisation_id in (
        user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)
    )
    letter = (
        db.session.get(Document, application.decision_letter_document_id)
        if application.decision_letter_document_id
        else None
    )
    return {
        "history": list(reversed(history)),
        "history_labels": GRANT_EVENT_LABELS,
        "state_labels": {state.value: label(state) for state in ApplicationState},
        "state_tags": STATE_TAGS,
        "names": _names(
            {e.actor_id for e in history}
            | {application.accepted_by_id, application.decided_by_id, application.closed_by_id}
        ),
        "granting": application.decision in GRANTING,
        "answer_forms": forms,
        "answer_posted": posted,
        # The refused answer's errors (its form may be gone from the page, or forged).
        "answer_error_form": answer_form
        if answer_form is not None and answer_form.errors
        else None,
        # The answer the user typed, when its form is no longer on the page (someone else
        # answered in the meantime).
        "answer_kept_text": (answer_form.text.data or "").strip()
        if answer_form is not None and posted not in forms
        else "",
        "awaits_answer": application.state == ApplicationState.DECIDED
        and application.decision in GRANTING,
        "may_write": staff,
        "message_form": message_form or MessageForm(formdata=None),
        "letter": letter,
        "case_link": url_for("grant_assessment.case", application_id=application.id)
        if can_read_assessment(user, application)
        else None,
        "grant_link": url_for("grant_followup.grant", application_id=application.id)
        if can_view_grant(user, application)
        else None,
    }
