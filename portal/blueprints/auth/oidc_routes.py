"""Login with OpenID Connect: start at the provider, come back to the callback.

The rules live in ``portal.auth.oidc``; these views only load the provider, call it and show
the outcome. With no providers configured every URL here answers 404.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.auth import oidc
from portal.auth.oidc_config import assurance_label
from portal.auth.permissions import public
from portal.blueprints.auth.routes import bp
from portal.extensions import limiter, login_rate_limit
from portal.services import identities


def _refused(refusal: oidc.Refusal) -> tuple[str, int]:
    page = render_template("auth/oidc_refused.html", refusal=refusal)
    return page, refusal.status


@bp.get("/log-ind/<provider>")
@public
def oidc_login(provider: str) -> Response | tuple[str, int]:
    config = oidc.get_provider_or_404(provider)
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    outcome = oidc.start_login(config, request.args.get("next"))
    if isinstance(outcome, oidc.Refusal):
        return _refused(outcome)
    return outcome


@bp.get("/log-ind/<provider>/callback")
@public
@limiter.limit(login_rate_limit)
def oidc_callback(provider: str) -> Response | tuple[str, int]:
    config = oidc.get_provider_or_404(provider)
    outcome = oidc.complete_login(config)
    if isinstance(outcome, oidc.Refusal):
        return _refused(outcome)
    if isinstance(outcome, oidc.LoggedIn):
        return redirect(outcome.target)
    return redirect(outcome.target or url_for("auth.oidc_identity_confirmed"))


@bp.get("/identitet/bekraeftet")
@public
def oidc_identity_confirmed() -> str | Response:
    proof = identities.current_identity_proof()
    if proof is None:
        return redirect(url_for("auth.login"))
    provider = oidc.find_provider(proof.provider)
    return render_template(
        "auth/oidc_identity_confirmed.html",
        proof=proof,
        provider=provider,
        assurance=assurance_label(proof.assurance_level),
        minutes=int(identities.PROOF_MAX_AGE.total_seconds() // 60),
    )
