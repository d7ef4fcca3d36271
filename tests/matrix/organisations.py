"""Routes of an organisation's own pages and of the public directory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AccountToken, TokenPurpose, User
from tests.matrix import SEES_ORG_A, Route, everyone, tenant

# Only organisation A's admin manages it; the others who see it get 403, everyone else 404.
ADMIN_OF_ORG_A = {"ngo_a_admin"}


def admin_of_a(status: int) -> dict[str, int]:
    return tenant(SEES_ORG_A, status, others_seeing=403, uploads=ADMIN_OF_ORG_A)


def world(session: Session) -> dict[str, Any]:
    return {
        "org_a_member": session.scalar(
            select(User.id).where(User.email == "ngo-a.member@example.org")
        ),
        # The demo seed's invitation from organisation A's admin to a new colleague.
        "org_a_invitation": session.scalar(
            select(AccountToken.id).where(
                AccountToken.purpose == TokenPurpose.INVITATION,
                AccountToken.email == "ny.kollega@example.org",
            )
        ),
    }


def _org_a(path: str = "") -> Any:
    return lambda w: f"/organisationer/{w['org_a']}{path}"


ROUTES: list[Route] = [
    # the organisation's page
    Route("GET", "organisations.profile", _org_a(), tenant(SEES_ORG_A, 200)),
    # an empty form is invalid
    Route("POST", "organisations.profile_post", _org_a("/profil"), admin_of_a(400)),
    # members and invitations: everyone who sees the organisation sees the list
    Route("GET", "organisations.members", _org_a("/medlemmer"), tenant(SEES_ORG_A, 200)),
    Route("POST", "organisations.invite", _org_a("/medlemmer/inviter"), admin_of_a(400)),
    # no role chosen: 400
    Route(
        "POST",
        "organisations.member_role",
        lambda w: f"/organisationer/{w['org_a']}/medlemmer/{w['org_a_member']}/rolle",
        admin_of_a(400),
    ),
    # the admin removes the member (rolled back after the test)
    Route(
        "POST",
        "organisations.member_remove",
        lambda w: f"/organisationer/{w['org_a']}/medlemmer/{w['org_a_member']}/fjern",
        admin_of_a(302),
    ),
    Route(
        "POST",
        "organisations.invitation_revoke",
        lambda w: f"/organisationer/{w['org_a']}/invitationer/{w['org_a_invitation']}/tilbagekald",
        admin_of_a(302),
    ),
    # the directory entry: an empty form is valid and takes the organisation out of the directory
    Route("GET", "organisations.directory_entry", _org_a("/katalog"), admin_of_a(200)),
    Route("POST", "organisations.directory_entry_post", _org_a("/katalog"), admin_of_a(302)),
    # the public directory
    Route("GET", "directory.index", lambda _w: "/katalog", everyone(200)),
    Route("GET", "directory.entry", lambda w: f"/katalog/{w['org_a']}", everyone(200)),
]
