"""The portal's tables, one module per domain. Importing this package registers them all."""

from portal.models.accounts import (
    AccountToken,
    LoginSession,
    Role,
    RoleAssignment,
    TokenPurpose,
    User,
)
from portal.models.audit import AuditEntry
from portal.models.documents import Document, OwnerType
from portal.models.identities import ExternalIdentity
from portal.models.organisations import (
    ACTIVE_STATES,
    EffortKind,
    EventKind,
    Organisation,
    OrganisationEvent,
    OrganisationScope,
    OrganisationState,
    TermsAcceptance,
    TermsKind,
    TermsVersion,
)
from portal.models.reference import (
    AreaOffice,
    Institution,
    InstitutionKind,
    Municipality,
    SecurityLevel,
)

__all__ = [
    "ACTIVE_STATES",
    "AccountToken",
    "AreaOffice",
    "AuditEntry",
    "Document",
    "EffortKind",
    "EventKind",
    "ExternalIdentity",
    "Institution",
    "InstitutionKind",
    "LoginSession",
    "Municipality",
    "Organisation",
    "OrganisationEvent",
    "OrganisationScope",
    "OrganisationState",
    "OwnerType",
    "Role",
    "RoleAssignment",
    "SecurityLevel",
    "TermsAcceptance",
    "TermsKind",
    "TermsVersion",
    "TokenPurpose",
    "User",
]
