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
from portal.models.organisations import Organisation, OrganisationState
from portal.models.reference import (
    AreaOffice,
    Institution,
    InstitutionKind,
    Municipality,
    SecurityLevel,
)

__all__ = [
    "AccountToken",
    "AreaOffice",
    "AuditEntry",
    "Document",
    "ExternalIdentity",
    "Institution",
    "InstitutionKind",
    "LoginSession",
    "Municipality",
    "Organisation",
    "OrganisationState",
    "OwnerType",
    "Role",
    "RoleAssignment",
    "SecurityLevel",
    "TokenPurpose",
    "User",
]
