"""The volunteer's side: prove identity from the link, give the CPR number, sign, see receipts.

The steps (Identitet → CPR-nummer → Erklæringer → Kvittering) share one proof of identity kept
in the session for 30 minutes (``portal.services.signing``). Where a citizen OpenID Connect
provider is configured it is the only way to prove identity; the date of birth is the way only
where none is, since offering the weaker proof beside the stronger would let whoever holds the
link choose the weaker one.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth import oidc
from portal.auth import session as auth_session
from portal.auth.oidc_config import ProviderConfig
from portal.auth.permissions import (
    get_volunteer_or_404,
    public,
    roles_required,
)
from portal.blueprints.signing import proof_session
from portal.blueprints.signing.forms import (
    AccountForm,
    BirthDateForm,
    ContinueForm,
    CprForm,
    ProviderForm,
    accept_field_name,
    declarations_form,
)
from portal.extensions import limiter, login_rate_limit
from portal.models import IdentityMethod, Role, Signature, Volunteer
from portal.services import signing, volunteer_links
from portal.services.signing import Proof, SigningError, TextsChanged

bp = Blueprint("signing", __name__)

# The explicit act: the button's text, kept in each signature as it was shown.
ACT = _l("Jeg underskriver")
DONE_KEY = "signing_done"
Page = str | tuple[str, int] | Response


def _language() -> str:
    return str(get_locale() or "da")


def _citizen_providers() -> list[ProviderConfig]:
    return [provider for provider in oidc.configured_providers() if not provider.is_staff]


def _next_step(volunteer: Volunteer) -> str:
    if signing.needs_cpr(volunteer):
        return url_for("signing.cpr")
    return url_for("signing.declarations")


# --- proving identity (from the link, or again while logged in) -----------------------------


def _prove(
    volunteer: Volunteer, method: IdentityMethod, back: str, done_url: str, from_link: bool
) -> Page:
    """The identity step at ``back``: show it, or handle its POST; a proof goes to ``done_url``.

    A provider sends the browser back to ``back``, which takes the proof over."""
    providers = _citizen_providers()
    status = 200
    if providers:
        form: Any = ProviderForm()
        if request.method == "POST":
            chosen = oidc.find_provider(form.provider.data or "")
            if form.validate_on_submit() and chosen in providers:
                assert chosen is not None
                return proof_session.start_oidc(chosen, volunteer, back)
            status = 400
    else:
        form = BirthDateForm()
        if request.method == "POST":
            if form.validate_on_submit():
                assert form.birth_date is not None
                try:
                    proof = signing.prove_birth_date(volunteer, form.birth_date, method)
                except SigningError as error:
                    form.day.errors = [str(error.message)]
                    status = error.status
                else:
                    proof_session.remember(proof)
                    return redirect(done_url)
            else:
                status = 400
    page = render_template(
        "signing/identity.html",
        volunteer=volunteer,
        form=form,
        providers=providers,
        action=back,
        with_cpr=signing.needs_cpr(volunteer),
        from_link=from_link,
    )
    return page, status


@bp.route("/underskriv/<token>", methods=["GET", "POST"])
@public
@limiter.limit(login_rate_limit, methods=["POST"])
def start(token: str) -> Page:
    volunteer = volunteer_links.find_by_token(token)
    if volunteer is None:
        return render_template("signing/link_invalid.html"), 404
    back = url_for("signing.start", token=token)
    proof = proof_session.current(volunteer) or proof_session.returned_from_oidc(volunteer)
    if proof is None and request.args.get("fortsaet"):
        proof = proof_session.resume(request.args["fortsaet"], volunteer)
    if proof is None:
        return _prove(volunteer, IdentityMethod.LINK_BIRTH_DATE, back, back, from_link=True)
    return _account_step(volunteer, token, proof)


def _account_step(volunteer: Volunteer, token: str, proof: Proof) -> Page:
    """After identity: attach the volunteer's existing account, or create one with a password."""
    account = signing.account_for(volunteer)
    me = current_user._get_current_object() if current_user.is_authenticated else None
    if me is not None and account is not None and me.id == account.id:
        mode, form = "continue", ContinueForm()
    elif me is not None:
        mode, form = "other_account", ContinueForm()
    elif account is not None:
        mode, form = "log_in", ContinueForm()
    else:
        mode, form = "create", AccountForm()
    status = 200
    if request.method == "POST":
        status = 400
        if mode in ("continue", "create") and form.validate_on_submit():
            try:
                if mode == "continue":
                    signing.attach_account(volunteer, me)
                else:
                    user = signing.create_account(volunteer, form.password.data, _language())
                    # A fresh session for the new account; the proof is carried over.
                    auth_session.log_in(user, method="volunteer_link")
                    proof_session.remember(proof)
            except SigningError as error:
                form.form_errors.append(str(error.message))
            else:
                flash(
                    _("Din konto er klar. Du logger ind med den, når du vil se din side."),
                    "success",
                )
                return redirect(_next_step(volunteer))
        elif mode == "other_account":
            status = 409
    login_next = url_for("signing.start", token=token, fortsaet=proof_session.continuation(proof))
    page = render_template(
        "signing/account.html",
        volunteer=volunteer,
        form=form,
        mode=mode,
        account=account,
        me=me,
        action=url_for("signing.start", token=token),
        login_url=url_for("auth.login", next=login_next),
        with_cpr=signing.needs_cpr(volunteer),
    )
    return page, status


@bp.route("/mig/frivillig/<uuid:volunteer_id>/bekraeft", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
@limiter.limit(login_rate_limit, methods=["POST"])
def reconfirm(volunteer_id: uuid.UUID) -> Page:
    volunteer = _own_volunteer_or_404(volunteer_id)
    if not signing.has_work(volunteer):
        flash(_("Du har ikke noget at underskrive lige nu."), "info")
        return redirect(url_for("signing.my_page"))
    if proof_session.current(volunteer) or proof_session.returned_from_oidc(volunteer):
        return redirect(_next_step(volunteer))
    back = url_for("signing.reconfirm", volunteer_id=volunteer.id)
    return _prove(
        volunteer, IdentityMethod.LOGIN_BIRTH_DATE, back, _next_step(volunteer), from_link=False
    )


def _own_volunteer_or_404(volunteer_id: uuid.UUID) -> Volunteer:
    volunteer = get_volunteer_or_404(volunteer_id)
    if volunteer.user_id != current_user.id:
        audit.record_security_event(
            "access.denied",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"reason": "another person's volunteer page"},
        )
        abort(404)
    return volunteer


# --- the CPR number and the declarations ----------------------------------------------------


def _signing_volunteer() -> tuple[Volunteer, Proof] | Response:
    """The volunteer this browser proved to be, if it is the logged-in user's own."""
    proof = proof_session.current()
    volunteer = db.session.get(Volunteer, proof.volunteer_id) if proof else None
    if proof is None or volunteer is None or volunteer.user_id != current_user.id:
        flash(
            _(
                "Bekræft, hvem du er, for at underskrive. Bekræftelsen gælder i 30 minutter, så den kan være udløbet."
            ),
            "info",
        )
        return redirect(url_for("signing.my_page"))
    if not signing.has_work(volunteer):
        flash(_("Du har ikke noget at underskrive lige nu."), "info")
        return redirect(url_for("signing.my_page"))
    return volunteer, proof


@bp.route("/underskriv/cpr", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def cpr() -> Page:
    found = _signing_volunteer()
    if isinstance(found, Response):
        return found
    volunteer, _proof = found
    if not signing.needs_cpr(volunteer):
        return redirect(url_for("signing.declarations"))
    form = CprForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                signing.give_cpr(volunteer, form.cpr.data or "")
            except SigningError as error:
                form.cpr.errors = [str(error.message)]
            except StaleDataError:
                # The same form sent twice at once: the other request stored the number.
                db.session.rollback()
                return redirect(url_for("signing.declarations"))
            else:
                return redirect(url_for("signing.declarations"))
    # What was typed is never sent back (the field renders empty).
    form.cpr.data = None
    return render_template("signing/cpr.html", form=form, volunteer=volunteer), status


@bp.route("/underskriv/erklaeringer", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def declarations() -> Page:
    found = _signing_volunteer()
    if isinstance(found, Response):
        return found
    volunteer, proof = found
    if signing.needs_cpr(volunteer):
        return redirect(url_for("signing.cpr"))
    language = _language()
    items = signing.pending_declarations(volunteer, language)
    form = declarations_form(items)
    status, problem = 200, None
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                signatures = signing.sign_declarations(
                    volunteer,
                    current_user._get_current_object(),
                    proof,
                    language=language,
                    act=str(ACT),
                    shown=form.shown.data or "",
                    ip_address=request.remote_addr or "",
                    user_agent=request.user_agent.string or "",
                )
            except TextsChanged as error:
                # Show the new texts with every box unticked: they must be read again.
                form = declarations_form(items, formdata=None)
                status, problem = error.status, error.message
            except SigningError as error:
                status, problem = error.status, error.message
            except StaleDataError:
                # The same form sent twice at once: the other request signed.
                db.session.rollback()
                flash(_("Erklæringerne er allerede underskrevet."), "info")
                return redirect(url_for("signing.my_page"))
            else:
                session[DONE_KEY] = {"v": str(volunteer.id), "s": [str(s.id) for s in signatures]}
                proof_session.forget()
                return redirect(url_for("signing.done"))
    form.shown.data = signing.shown_digest(items)
    page = render_template(
        "signing/declarations.html",
        form=form,
        items=[(item, form[accept_field_name(item)]) for item in items],
        volunteer=volunteer,
        act=ACT,
        problem=problem,
        with_cpr=volunteer.cpr_given_at is not None and volunteer.check_outcome is None,
    )
    return page, status


@bp.get("/underskriv/kvittering")
@roles_required(Role.VOLUNTEER)
def done() -> Page:
    data = session.get(DONE_KEY)
    volunteer = None
    if isinstance(data, dict):
        try:
            volunteer = db.session.get(Volunteer, uuid.UUID(str(data.get("v"))))
        except ValueError:
            volunteer = None
    if volunteer is None or volunteer.user_id != current_user.id:
        return redirect(url_for("signing.my_page"))
    ids = {str(value) for value in data.get("s", [])}  # type: ignore[union-attr]
    signatures = [
        signature
        for signature in db.session.scalars(
            select(Signature)
            .where(Signature.volunteer_id == volunteer.id)
            .order_by(Signature.signed_at)
        )
        if str(signature.id) in ids
    ]
    if not signatures:
        return redirect(url_for("signing.my_page"))
    return render_template(
        "signing/done.html",
        volunteer=volunteer,
        signatures=signatures,
        with_cpr=volunteer.cpr_given_at is not None and volunteer.check_outcome is None,
    )


# The volunteer's own page and the staff's verification page register on ``bp`` too.
from portal.blueprints.signing import pages  # noqa: E402, F401
