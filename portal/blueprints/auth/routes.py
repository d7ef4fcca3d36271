"""Login, logout, password reset, invitations and the user's own profile."""

from __future__ import annotations

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
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import audit
from portal.auth import session as auth_session
from portal.auth.permissions import login_required, public
from portal.blueprints.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PreferencesForm,
    ResetPasswordForm,
)
from portal.extensions import limiter, login_rate_limit
from portal.labels import label
from portal.models import TokenPurpose
from portal.safe_redirect import safe_next
from portal.services import accounts

bp = Blueprint("auth", __name__)


@bp.get("/log-ind")
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("auth/login.html", form=form)


@bp.post("/log-ind")
@public
@limiter.limit(login_rate_limit)
def login_post() -> str | Response:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400  # type: ignore[return-value]
    user = accounts.authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        audit.record_security_event(
            "auth.login_failed",
            details={
                "email_hash": accounts.hash_token(accounts.normalise_email(form.email.data or ""))[
                    :16
                ]
            },
        )
        form.password.errors = [_("E-mailadressen eller adgangskoden er forkert.")]
        return render_template("auth/login.html", form=form), 401  # type: ignore[return-value]
    auth_session.log_in(user, method="password")
    return redirect(safe_next(form.next.data, url_for("main.dashboard")))


@bp.post("/log-ud")
@public
def logout() -> Response:
    if current_user.is_authenticated:
        auth_session.log_out(current_user._get_current_object())
        flash(_("Du er logget ud."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/session/forlaeng")
@login_required
def keepalive() -> tuple[dict[str, int], int]:
    raw = auth_session.current_session_token()
    if raw:
        accounts.keep_alive(raw)
    return {"idle_seconds": current_app.config["SESSION_IDLE_SECONDS"]}, 200


@bp.get("/glemt-adgangskode")
@public
def forgot_password() -> str:
    return render_template("auth/forgot_password.html", form=ForgotPasswordForm())


@bp.post("/glemt-adgangskode")
@public
@limiter.limit(login_rate_limit)
def forgot_password_post() -> str | Response:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot_password.html", form=form), 400  # type: ignore[return-value]
    accounts.request_password_reset(form.email.data or "")
    # The same answer whether or not the address has an account.
    flash(
        _(
            "Hvis adressen hører til en konto, har vi sendt et link til at nulstille adgangskoden. Tjek din indbakke."
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.get("/nulstil/<token>")
@public
def reset_password(token: str) -> str | tuple[str, int]:
    if accounts.find_usable_token(token, TokenPurpose.PASSWORD_RESET) is None:
        return render_template("auth/link_invalid.html"), 404
    return render_template("auth/reset_password.html", form=ResetPasswordForm(), token=token)


@bp.post("/nulstil/<token>")
@public
@limiter.limit(login_rate_limit)
def reset_password_post(token: str) -> str | Response | tuple[str, int]:
    found = accounts.find_usable_token(token, TokenPurpose.PASSWORD_RESET)
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset_password.html", form=form, token=token), 400
    try:
        accounts.reset_password(found, form.password.data or "")
    except accounts.AccountError as error:
        form.password.errors = [str(error.message)]
        return render_template("auth/reset_password.html", form=form, token=token), 400
    flash(_("Din adgangskode er ændret. Log ind med den nye adgangskode."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/invitation/<token>")
@public
def accept_invitation(token: str) -> str | tuple[str, int]:
    found = accounts.find_usable_token(token, TokenPurpose.INVITATION)
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    form = AcceptInvitationForm(name=found.name)
    return render_template(
        "auth/accept_invitation.html",
        form=form,
        invitation=found,
        token=token,
        role_label=label(found.role),
    )


@bp.post("/invitation/<token>")
@public
@limiter.limit(login_rate_limit)
def accept_invitation_post(token: str) -> str | Response | tuple[str, int]:
    found = accounts.find_usable_token(token, TokenPurpose.INVITATION)
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    if current_user.is_authenticated:
        try:
            accounts.accept_invitation_as(found, current_user._get_current_object())
        except accounts.AccountError as error:
            flash(str(error.message), "error")
            return redirect(url_for("auth.accept_invitation", token=token))
        flash(_("Invitationen er taget imod. Du har fået en ny rolle."), "success")
        return redirect(url_for("main.dashboard"))
    form = AcceptInvitationForm()
    context = {"invitation": found, "token": token, "role_label": label(found.role)}
    if not form.validate_on_submit():
        return render_template("auth/accept_invitation.html", form=form, **context), 400
    try:
        user = accounts.accept_invitation(
            found,
            name=form.name.data or "",
            password=form.password.data or "",
            language=session.get("language", "da"),
        )
    except accounts.AccountError as error:
        flash(str(error.message), "error")
        return render_template("auth/accept_invitation.html", form=form, **context), 400
    auth_session.log_in(user, method="password")
    flash(_("Velkommen til. Din konto er oprettet."), "success")
    return redirect(url_for("main.dashboard"))


def _render_profile(password_form: ChangePasswordForm) -> str:
    return render_template(
        "auth/profile.html",
        password_form=password_form,
        preferences_form=PreferencesForm(language=current_user.language),
        role_labels=sorted(label(role) for role in current_user.roles),
    )


@bp.get("/profil")
@login_required
def profile() -> str:
    return _render_profile(ChangePasswordForm())


@bp.post("/profil/adgangskode")
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user._get_current_object(),
                form.current_password.data or "",
                form.password.data or "",
            )
        except accounts.AccountError as error:
            form.current_password.errors = [str(error.message)]
        else:
            # Every session ended, this one too: log in again with the new password.
            auth_session.log_out_locally()
            flash(
                _(
                    "Din adgangskode er ændret, og du er logget ud alle steder. Log ind med den nye adgangskode."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    return _render_profile(form), 400


@bp.post("/profil/indstillinger")
@login_required
def preferences() -> Response:
    form = PreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    accounts.set_language(current_user._get_current_object(), form.language.data or "da")
    session["language"] = form.language.data
    flash(_("Dine indstillinger er gemt."), "success")
    return redirect(url_for("auth.profile"))
