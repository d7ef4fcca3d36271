"""Every person's own "Mine data": their rights in plain Danish, what the portal keeps about
them in broad strokes, their requests (access, rectification, erasure) and a form to make one.
Anyone logged in may use it, whatever their role; a request is only ever its own person's
(another person's answers 404, and the attempt is audited)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.auth.permissions import get_own_subject_request_or_404, login_required
from portal.blueprints.privacy.request_forms import MyRequestForm
from portal.blueprints.privacy.routes import bp
from portal.labels import STATE_TAGS, label
from portal.models import Role, SubjectRequestChannel, SubjectRequestState, User
from portal.services import subject_request_queries, subject_requests
from portal.services.workflow import WorkflowError

# What the portal keeps about a person, by what they do in it (broad strokes; the export has
# the details).
KEPT_FOR_EVERYONE: tuple[Any, ...] = (
    _l("Din konto: navn, e-mailadresse, sprog, roller og hvornår du sidst loggede ind."),
    _l("En log over, hvad du har gjort i portalen, fx log-ind og ændringer (revisionsloggen)."),
)
KEPT_BY_ROLE: dict[Role, tuple[Any, ...]] = {
    Role.VOLUNTEER: (
        _l(
            "Dine oplysninger som frivillig: navn, fødselsdato, e-mail, telefon og den organisation, du er frivillig i."
        ),
        _l(
            "Dine underskrevne erklæringer med kvitteringer, dit CPR-nummer (krypteret og kun indtil tjekket i Kriminalregistret er gjort), resultatet af tjekket og din adgang til institutioner."
        ),
        _l("De aktiviteter, du deltager i."),
    ),
    Role.NGO_ADMIN: (
        _l(
            "Det, du har skrevet og sendt for din organisation: ansøgninger, aktiviteter, rapporter, dokumenter og beskeder."
        ),
    ),
    Role.NGO_MEMBER: (
        _l(
            "Det, du har skrevet og sendt for din organisation: ansøgninger, aktiviteter, dokumenter og beskeder."
        ),
    ),
}
KEPT_FOR_STAFF = _l(
    "Det, du har gjort i dit arbejde: afgørelser, bedømmelser, noter og beskeder, med dit navn og tidspunktet."
)


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def what_we_keep(user: User) -> list[Any]:
    kept = list(KEPT_FOR_EVERYONE)
    for role in (Role.VOLUNTEER, Role.NGO_ADMIN, Role.NGO_MEMBER):
        if role in user.roles:
            kept.extend(item for item in KEPT_BY_ROLE[role] if item not in kept)
    staff = user.roles - {Role.VOLUNTEER, Role.NGO_ADMIN, Role.NGO_MEMBER}
    if staff:
        kept.append(KEPT_FOR_STAFF)
    return kept


def _render(form: MyRequestForm, status: int = 200) -> tuple[str, int]:
    user = current()
    own = subject_request_queries.own_requests(user)
    return render_template(
        "privacy/my_data.html",
        form=form,
        requests=own,
        kept=what_we_keep(user),
        documents={r.id: subject_request_queries.export_document(r) for r in own},
        state_tags=STATE_TAGS,
        label=label,
    ), status


@bp.get("/profil/mine-data")
@login_required
def my_data() -> tuple[str, int]:
    return _render(MyRequestForm(formdata=None))


@bp.post("/profil/mine-data")
@login_required
def my_data_post() -> Response | tuple[str, int]:
    form = MyRequestForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        created = subject_requests.create_request(
            form.chosen_kind(),
            form.description.data or "",
            user=current(),
            channel=SubjectRequestChannel.PORTAL,
            actor=current(),
        )
    except WorkflowError as error:
        form.form_errors.append(error.message)
        return _render(form, 400)
    flash(
        _(
            "Din anmodning er sendt. Du får svar senest %(date)s og har fået en kvittering på e-mail.",
            date=created.due_on.strftime("%d.%m.%Y"),
        ),
        "success",
    )
    return redirect(url_for("privacy.my_request", request_id=created.id))


@bp.get("/profil/mine-data/<uuid:request_id>")
@login_required
def my_request(request_id: uuid.UUID) -> tuple[str, int]:
    subject_request = get_own_subject_request_or_404(request_id)
    answered = subject_request.state == SubjectRequestState.ANSWERED
    return render_template(
        "privacy/my_data_request.html",
        subject_request=subject_request,
        history=list(reversed(subject_request_queries.history_for_person(subject_request))),
        history_labels=subject_request_queries.EVENT_LABELS,
        state_labels={state.value: label(state) for state in SubjectRequestState},
        export_document=subject_request_queries.export_document(subject_request)
        if answered
        else None,
        is_open=subject_request_queries.is_open(subject_request),
        state_tags=STATE_TAGS,
        label=label,
    ), 200
