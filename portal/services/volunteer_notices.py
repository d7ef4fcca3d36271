"""E-mails about a volunteer to the people concerned: the volunteer, the organisation's admins,
and the caseworkers of its area office. Each gets a link to their own page about the volunteer;
the organisation is told a status, never a CPR number or register content."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from werkzeug.routing import BuildError

from portal import mail
from portal.models import Volunteer
from portal.services import workflow


def link_to(*candidates: tuple[str, dict[str, Any]]) -> str:
    """An absolute link to the first endpoint that exists (some belong to other parts)."""
    for endpoint, values in candidates:
        if endpoint in current_app.view_functions:
            try:
                return mail.external_url(endpoint, **values)
            except BuildError:
                continue
    return mail.external_url("main.dashboard")


def _volunteerlink_to(volunteer: Volunteer) -> str:
    return link_to(("signing.my_page", {}))


def _organisationlink_to(volunteer: Volunteer) -> str:
    return link_to(("volunteers.detail", {"volunteer_id": volunteer.id}))


def tell_volunteer(volunteer: Volunteer, template: str, **context: Any) -> None:
    mail.send_template(
        volunteer.email,
        template,
        language=volunteer.language,
        name=volunteer.name,
        volunteer=volunteer.name,
        organisation=volunteer.organisation.name,
        for_volunteer=True,
        link=_volunteerlink_to(volunteer),
        **context,
    )


def tell_organisation(volunteer: Volunteer, template: str, **context: Any) -> None:
    for person in workflow.recipients(volunteer.organisation, workflow.Notify.ORGANISATION):
        mail.send_template(
            person.email,
            template,
            language=person.language,
            name=person.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            for_volunteer=False,
            link=_organisationlink_to(volunteer),
            **context,
        )


def tell_caseworkers(volunteer: Volunteer, template: str, **context: Any) -> None:
    for person in workflow.recipients(volunteer.organisation, workflow.Notify.AREA_OFFICE):
        mail.send_template(
            person.email,
            template,
            language=person.language,
            name=person.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            for_volunteer=False,
            for_staff=True,
            link=mail.external_url("clearance.volunteer", volunteer_id=volunteer.id),
            **context,
        )


def day_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")
