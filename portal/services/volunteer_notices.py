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


def _volunteer_link(volunteer: Volunteer) -> str:
    return link_to(("signing.my_page", {}))


def _organisation_link(volunteer: Volunteer) -> str:
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
        link=_volunteer_link(volunteer),
        **context,
    )


def _tell_people(
    people: Any, volunteer: Volunteer, template: str, link: str, **context: Any
) -> None:
    for person in people:
        mail.send_template(
            person.email,
            template,
            language=person.language,
            name=person.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            for_volunteer=False,
            link=link,
            **context,
        )


def tell_organisation(volunteer: Volunteer, template: str, **context: Any) -> None:
    """The organisation's admins (a status, never a CPR number or register content)."""
    people = workflow.recipients(volunteer.organisation, workflow.Notify.ORGANISATION)
    _tell_people(people, volunteer, template, _organisation_link(volunteer), **context)


def tell_caseworkers(volunteer: Volunteer, template: str, **context: Any) -> None:
    """The caseworkers of the organisation's area office."""
    people = workflow.recipients(volunteer.organisation, workflow.Notify.AREA_OFFICE)
    link = mail.external_url("clearance.volunteer", volunteer_id=volunteer.id)
    _tell_people(people, volunteer, template, link, for_staff=True, **context)


def day_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")
