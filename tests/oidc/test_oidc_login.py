"""Login with OpenID Connect against a real provider (SECURITY.md item 7).

The provider is npm's oidc-provider (see conftest.py and provider.mjs): every flow below goes
through its real authorization, token, JWKS and userinfo endpoints. Faults a correct provider
cannot produce (another audience, another issuer, a broken or missing signature) are injected
by the provider process on its real token response; an expired token comes from a provider
whose clock runs two hours behind; everything else is the real thing.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import AreaOffice, AuditEntry, ExternalIdentity, LoginSession, Role, User
from portal.services import accounts, identities
from tests.oidc.conftest import SUBSTANTIAL, Providers
from tests.oidc.flow import Browser, query_of, with_query

FAILED = "Vi kunne ikke godkende svaret fra login-tjenesten"
# Words of the protocol that the person must never see on a refusal page.
INTERNALS = ("nonce", "state", "aud", "iss", "signatur", "invalid_grant", "token", "jwt", "acr")


def link(app: Flask, email: str, provider: str, issuer: str, subject: str) -> None:
    with app.app_context():
        user = accounts.find_user_by_email(email)
        assert user is not None
        identities.link_identity(user, provider, issuer, subject)
        db.session.commit()


def refusals(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "auth.oidc_refused")
            .order_by(AuditEntry.id)
        )
        return [entry.details for entry in entries]


def assert_refused(
    app: Flask,
    visitor: Browser,
    response: Any,
    status: int,
    text: str,
    details: dict[str, Any],
    before: int,
) -> None:
    """The page, the audit row, and no login."""
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:1000]
    assert text in page
    visible = page.split("<main", 1)[-1].lower()
    for word in INTERNALS:
        assert word not in visible.split("</main>")[0], word
    rows = refusals(app)
    assert len(rows) == before + 1
    assert details.items() <= rows[-1].items(), rows[-1]
    assert visitor.client.get("/overblik").status_code == 302  # not logged in


def identity_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ExternalIdentity)) or 0


# --- the login page -------------------------------------------------------------------------


def test_login_page_shows_a_button_per_provider(visitor: Browser) -> None:
    page = visitor.client.get("/log-ind?next=/profil").get_data(as_text=True)
    assert "Log ind som medarbejder" in page
    assert "Log ind med MitID" in page
    assert 'href="/log-ind/citizen?next=/profil"' in page
    assert 'action="/log-ind"' in page  # the password form is still there


def test_without_providers_the_login_page_has_only_the_password_form(client: Any) -> None:
    page = client.get("/log-ind").get_data(as_text=True)
    assert "Andre måder at logge ind på" not in page
    assert "/log-ind/" not in page
    assert client.get("/log-ind/staff").status_code == 404
    assert client.get("/log-ind/staff/callback?code=x&state=y").status_code == 404


def test_unknown_provider_is_404(visitor: Browser) -> None:
    assert visitor.client.get("/log-ind/nobody").status_code == 404
    assert visitor.client.get("/log-ind/nobody/callback").status_code == 404


def test_the_authorization_request_uses_pkce_state_and_nonce(visitor: Browser) -> None:
    query = query_of(visitor.start("citizen"))
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43
    assert query["state"] and query["nonce"]
    assert query["client_id"] == "portal-citizen"
    assert query["redirect_uri"] == "http://portal.test/log-ind/citizen/callback"
    assert query["acr_values"] == SUBSTANTIAL
    assert set(query["scope"].split()) == {"openid", "email", "profile"}


# --- success --------------------------------------------------------------------------------


def test_staff_login_with_a_linked_account(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    link(oidc_app, "caseworker.ost@example.org", "staff", oidc_providers.main.issuer, "staff-ost")
    response = visitor.log_in("staff", "staff-ost")
    assert response.status_code == 302
    assert response.headers["Location"] == "/overblik"
    assert visitor.client.get("/overblik").status_code == 200
    with oidc_app.app_context():
        user = accounts.find_user_by_email("caseworker.ost@example.org")
        assert user is not None
        login = db.session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id)
            .order_by(LoginSession.created_at.desc())
        ).first()
        assert login is not None and login.method == "oidc:staff"
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "auth.login")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.details == {"method": "oidc:staff"}
        identity = identities.find_identity(oidc_providers.main.issuer, "staff-ost")
        assert identity is not None
        assert identity.last_login_at is not None and identity.assurance_level == SUBSTANTIAL


def test_staff_login_returns_to_the_page_asked_for(
    oidc_app: Flask, new_browser: Any, oidc_providers: Providers
) -> None:
    link(oidc_app, "caseworker.ost@example.org", "staff", oidc_providers.main.issuer, "staff-ost")
    response = new_browser().log_in("staff", "staff-ost", next="/profil")
    assert response.headers["Location"] == "/profil"
    # Another site is never a target.
    other = new_browser().log_in("staff", "staff-ost", next="https://evil.example/")
    assert other.headers["Location"] == "/overblik"


def test_logged_in_user_starting_a_login_goes_to_the_dashboard(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    link(oidc_app, "caseworker.ost@example.org", "staff", oidc_providers.main.issuer, "staff-ost")
    visitor.log_in("staff", "staff-ost")
    response = visitor.client.get("/log-ind/citizen")
    assert response.status_code == 302 and response.headers["Location"] == "/overblik"


def test_citizen_without_account_gets_an_identity_proof(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    response = visitor.log_in("citizen", "citizen-1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/identitet/bekraeftet"
    with visitor.client:
        page = visitor.client.get("/identitet/bekraeftet").get_data(as_text=True)
        proof = identities.current_identity_proof()
        assert proof is not None
        assert proof.name == "Frida Frivillig" and proof.email == "frida@example.org"
        assert proof.provider == "citizen" and proof.assurance_level == SUBSTANTIAL
        assert proof.identity.user_id is None
        assert proof.identity.issuer == oidc_providers.main.issuer
        assert proof.identity.subject == "citizen-1"
    assert "Din identitet er bekræftet" in page
    assert "Frida Frivillig" in page
    assert "Log ind med MitID" in page and "Betydelig" in page
    assert "Hvad sker der nu?" in page
    assert visitor.client.get("/overblik").status_code == 302  # no account, no login
    with oidc_app.app_context():
        created = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "identity.created")
        ).all()
        assert created and created[-1].object_id == str(proof.identity.id)


def test_citizen_proving_again_updates_the_same_identity(oidc_app: Flask, new_browser: Any) -> None:
    new_browser().log_in("citizen", "citizen-1")
    count = identity_count(oidc_app)
    second = new_browser()
    assert second.log_in("citizen", "citizen-1").status_code == 302
    assert identity_count(oidc_app) == count
    with oidc_app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-1] == "identity.proven"


def test_identity_proof_expires(oidc_app: Flask, visitor: Browser) -> None:
    visitor.log_in("citizen", "citizen-1")
    with visitor.client:
        visitor.client.get("/identitet/bekraeftet")
        later = utcnow() + identities.PROOF_MAX_AGE + identities.PROOF_MAX_AGE
        assert identities.current_identity_proof(now=later) is None


def test_confirmation_page_without_a_proof_sends_to_login(visitor: Browser) -> None:
    response = visitor.client.get("/identitet/bekraeftet")
    assert response.status_code == 302 and response.headers["Location"] == "/log-ind"


def test_citizen_with_a_linked_volunteer_account_logs_in(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    link(
        oidc_app,
        "volunteer@example.org",
        "citizen",
        oidc_providers.main.issuer,
        "citizen-volunteer",
    )
    response = visitor.log_in("citizen", "citizen-volunteer")
    assert response.status_code == 302 and response.headers["Location"] == "/overblik"
    assert visitor.client.get("/overblik").status_code == 200


# --- refusals: the protocol -----------------------------------------------------------------


@pytest.mark.parametrize(
    "state", [pytest.param("tampered-state", id="tampered"), pytest.param(None, id="missing")]
)
def test_wrong_state_is_refused(oidc_app: Flask, visitor: Browser, state: str | None) -> None:
    before = len(refusals(oidc_app))
    callback = visitor.authorize(visitor.start("citizen"), "citizen-1")
    response = visitor.callback(with_query(callback, state=state))
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "state_mismatch"}, before)


def test_state_from_another_browser_is_refused(oidc_app: Flask, new_browser: Any) -> None:
    """A login started in the attacker's browser cannot be finished in the victim's."""
    attacker, victim = new_browser(), new_browser()
    before = len(refusals(oidc_app))
    callback = attacker.authorize(attacker.start("citizen"), "citizen-1")
    response = victim.callback(callback)
    assert_refused(oidc_app, victim, response, 400, FAILED, {"reason": "state_mismatch"}, before)


def test_nonce_mismatch_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    authorization = with_query(visitor.start("citizen"), nonce="a-nonce-from-elsewhere")
    response = visitor.callback(visitor.authorize(authorization, "citizen-1"))
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "nonce_mismatch"}, before)


def test_pkce_verifier_must_match_the_challenge(oidc_app: Flask, visitor: Browser) -> None:
    """A code obtained with another code_challenge cannot be redeemed with our verifier."""
    before = len(refusals(oidc_app))
    authorization = with_query(visitor.start("citizen"), code_challenge="A" * 43)
    response = visitor.callback(visitor.authorize(authorization, "citizen-1"))
    assert_refused(
        oidc_app,
        visitor,
        response,
        400,
        FAILED,
        {"reason": "code_rejected", "error": "invalid_grant"},
        before,
    )


def test_token_for_another_audience_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    response = visitor.log_in("badaud", "staff-ost")
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "wrong_audience"}, before)


def test_token_from_another_issuer_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    response = visitor.log_in("badiss", "staff-ost")
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "wrong_issuer"}, before)


def test_answer_naming_another_issuer_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    """RFC 9207: the provider names itself in the answer (``iss``); a mix-up is refused."""
    before = len(refusals(oidc_app))
    callback = visitor.authorize(visitor.start("citizen"), "citizen-1")
    assert "iss" in query_of(callback)
    response = visitor.callback(with_query(callback, iss="http://127.0.0.1:1"))
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "wrong_issuer"}, before)


def test_bad_signature_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    response = visitor.log_in("badsig", "staff-ost")
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "bad_signature"}, before)


def test_unsigned_token_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    response = visitor.log_in("unsigned", "staff-ost")
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "unsigned_token"}, before)


def test_expired_token_is_refused(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    link(oidc_app, "caseworker.ost@example.org", "late", oidc_providers.late.issuer, "staff-ost")
    before = len(refusals(oidc_app))
    response = visitor.log_in("late", "staff-ost")
    assert_refused(oidc_app, visitor, response, 400, FAILED, {"reason": "token_expired"}, before)


def test_reused_code_is_refused(oidc_app: Flask, new_browser: Any) -> None:
    """The callback replayed with the cookie from before it (state still in it): the provider
    refuses the used code, and the portal refuses the login."""
    first = new_browser()
    callback = first.authorize(first.start("citizen"), "citizen-1")
    cookie = first.client.get_cookie(oidc_app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    assert first.callback(callback).status_code == 302
    before = len(refusals(oidc_app))
    replay = new_browser()
    replay.client.set_cookie(oidc_app.config["SESSION_COOKIE_NAME"], cookie.value)
    response = replay.callback(callback)
    assert_refused(
        oidc_app,
        replay,
        response,
        400,
        FAILED,
        {"reason": "code_rejected", "error": "invalid_grant"},
        before,
    )


def test_error_from_the_provider_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    callback = visitor.authorize(visitor.start("citizen"), "citizen-1", cancel=True)
    assert query_of(callback)["error"] == "access_denied"
    response = visitor.callback(callback)
    assert_refused(
        oidc_app,
        visitor,
        response,
        400,
        "Login blev afbrudt",
        {"reason": "provider_error", "error": "access_denied"},
        before,
    )


def test_unreachable_provider_gets_a_clear_page(visitor: Browser) -> None:
    response = visitor.client.get("/log-ind/down")
    assert response.status_code == 503
    assert "Login-tjenesten svarer ikke" in response.get_data(as_text=True)


def test_discovery_naming_another_issuer_is_not_used(visitor: Browser) -> None:
    """OpenID Connect Discovery: the document's issuer must be the URL it was fetched from."""
    response = visitor.client.get("/log-ind/mixup")
    assert response.status_code == 503
    assert "Location" not in response.headers


# --- refusals: the account ------------------------------------------------------------------


def test_unknown_staff_account_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    count = identity_count(oidc_app)
    response = visitor.log_in("staff", "unknown-staff")
    assert_refused(
        oidc_app,
        visitor,
        response,
        403,
        "der er ikke knyttet en konto i Partnerportalen til dig",
        {"reason": "unknown_account", "subject": "unknown-staff"},
        before,
    )
    assert identity_count(oidc_app) == count  # a staff provider never creates identities


def test_staff_is_never_matched_on_email(oidc_app: Flask, visitor: Browser) -> None:
    """staff-ost's e-mail is caseworker.ost@example.org, but without a link there is no login."""
    before = len(refusals(oidc_app))
    response = visitor.log_in("staff", "staff-ost")
    assert_refused(
        oidc_app,
        visitor,
        response,
        403,
        "Kontakt din administrator",
        {"reason": "unknown_account"},
        before,
    )


def test_account_without_an_allowed_role_is_refused(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    link(oidc_app, "reviewer@example.org", "staff", oidc_providers.main.issuer, "staff-reviewer")
    before = len(refusals(oidc_app))
    response = visitor.log_in("staff", "staff-reviewer")
    assert_refused(
        oidc_app,
        visitor,
        response,
        403,
        "Din konto har ikke en rolle, der kan logge ind med denne login-tjeneste",
        {"reason": "role_not_allowed", "subject": "staff-reviewer"},
        before,
    )


def test_deactivated_account_is_refused(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    with oidc_app.app_context():
        user = accounts.create_user("inactive@example.org", "Deaktiveret Ansat", None)
        office = db.session.scalar(select(AreaOffice).where(AreaOffice.code == "ost"))
        assert office is not None
        accounts.grant_role(user, Role.CASEWORKER, area_office_id=office.id)
        accounts.set_active(user, False)
        db.session.commit()
    link(oidc_app, "inactive@example.org", "staff", oidc_providers.main.issuer, "staff-inactive")
    before = len(refusals(oidc_app))
    response = visitor.log_in("staff", "staff-inactive")
    assert_refused(
        oidc_app,
        visitor,
        response,
        403,
        "Kontoen er deaktiveret",
        {"reason": "account_inactive"},
        before,
    )


def test_assurance_too_low_is_refused(oidc_app: Flask, visitor: Browser) -> None:
    before = len(refusals(oidc_app))
    count = identity_count(oidc_app)
    response = visitor.log_in("citizen", "citizen-low")
    assert_refused(
        oidc_app,
        visitor,
        response,
        403,
        "Her kræves et højere sikringsniveau",
        {
            "reason": "assurance_too_low",
            "acr": "https://data.gov.dk/concept/core/nsis/loa/Low",
            "required": SUBSTANTIAL,
        },
        before,
    )
    assert identity_count(oidc_app) == count
    with visitor.client:
        visitor.client.get("/log-ind")
        assert identities.current_identity_proof() is None


def test_refusals_keep_the_audit_chain_valid(oidc_app: Flask, visitor: Browser) -> None:
    from portal import audit

    visitor.log_in("badsig", "staff-ost")
    visitor.log_in("staff", "unknown-staff")
    with oidc_app.app_context():
        assert audit.verify_chain(db.session).ok


# --- the operator command -------------------------------------------------------------------


def test_link_identity_command_reads_the_issuer_and_enables_login(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    runner = oidc_app.test_cli_runner()
    args = ["portal", "link-identity", "--email", "caseworker.ost@example.org"]
    args += ["--provider", "staff", "--subject", "staff-ost"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert oidc_providers.main.issuer in result.output
    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output  # idempotent
    with oidc_app.app_context():
        linked = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "identity.linked")
        ).all()
        assert len(linked) == 1
    assert visitor.log_in("staff", "staff-ost").headers["Location"] == "/overblik"


def test_link_identity_command_refuses_what_it_cannot_do(
    oidc_app: Flask, oidc_providers: Providers
) -> None:
    runner = oidc_app.test_cli_runner()

    def run(*args: str) -> Any:
        return runner.invoke(args=["portal", "link-identity", *args])

    unknown_provider = run("--email", "admin@example.org", "--provider", "x", "--subject", "s")
    assert unknown_provider.exit_code == 1 and "Unknown provider" in unknown_provider.output
    unknown_user = run("--email", "nobody@example.org", "--provider", "staff", "--subject", "s")
    assert unknown_user.exit_code == 1 and "No account" in unknown_user.output
    issuer = oidc_providers.main.issuer
    first = run("--email", "admin@example.org", "--provider", "staff", "--subject", "s1")
    assert first.exit_code == 0, first.output
    taken = run(
        "--email", "dpo@example.org", "--provider", "staff", "--subject", "s1", "--issuer", issuer
    )
    assert taken.exit_code == 1 and "allerede knyttet til en anden bruger" in taken.output
    assert "holds none of the roles" in first.output


def test_a_proven_citizen_identity_can_be_linked_later(
    oidc_app: Flask, visitor: Browser, oidc_providers: Providers
) -> None:
    visitor.log_in("citizen", "citizen-1")
    with oidc_app.app_context():
        user = accounts.create_user("frida@example.org", "Frida Frivillig", None)
        ngo = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
        assert ngo is not None
        organisation_id = next(iter(ngo.scopes(Role.VOLUNTEER)))
        accounts.grant_role(user, Role.VOLUNTEER, organisation_id=organisation_id)
        identity = identities.link_identity(
            user, "citizen", oidc_providers.main.issuer, "citizen-1"
        )
        assert identity.name == "Frida Frivillig"  # the same row, now with an account
        db.session.commit()
    second = Browser(oidc_app.test_client(), visitor.http)
    assert second.log_in("citizen", "citizen-1").headers["Location"] == "/overblik"
