"""The organisation's side of a sent application: its answer to a grant (take it with its
conditions, which the admin confirms having read, or decline it with a reason) and its
messages to the grant officers. Both go through ``grant_workflow`` (version check, history,
audit and e-mail to the grant officers).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.models import ApplicationState, GrantApplication, GrantApplicationEvent, User
from portal.services import grant_workflow
from portal.services.grant_workflow import Transition
from portal.services.workflow import WorkflowError

ANSWERS = ("accept", "decline")


def answer(
    application: GrantApplication,
    actor: User,
    action: str,
    *,
    text: str = "",
    conditions_accepted: bool = False,
    expected_version: int | None = None,
) -> Transition:
    """Accept or decline the grant on the organisation's behalf (its admins only; checked by
    ``grant_workflow.apply``). Accepting needs the conditions confirmed as read and accepted;
    declining needs a reason (the transition's ``needs_text``)."""
    if action not in ANSWERS:
        raise WorkflowError(_l("Vælg, om I tager imod tilskuddet eller siger nej tak."))
    if action == "accept" and not conditions_accepted:
        raise WorkflowError(
            _l(
                "Sæt kryds, hvis I har læst og accepterer betingelserne. Ellers kan I ikke tage imod tilskuddet."
            )
        )
    return grant_workflow.apply(
        application,
        action,
        actor,
        text=text,
        expected_version=expected_version,
        details={"conditions_accepted": True} if action == "accept" else None,
    )


def message(application: GrantApplication, actor: User, text: str) -> GrantApplicationEvent:
    """A message from the organisation's staff to the grant officers about a sent
    application (a draft is the organisation's own: nobody at the pool reads it yet)."""
    if application.state == ApplicationState.DRAFT:
        raise WorkflowError(
            _l("Send ansøgningen først. Puljens medarbejdere kan ikke se en kladde.")
        )
    return grant_workflow.post_message(application, actor, text)
