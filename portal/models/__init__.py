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
from portal.models.declarations import (
    DECLARATION_ORDER,
    DeclarationKind,
    DeclarationVersion,
    IdentityMethod,
    Signature,
)
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
from portal.models.rules import InstitutionRules, RuleProfile
from portal.models.volunteers import (
    AccessEndReason,
    AccessGrant,
    CheckOutcome,
    Preparation,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)

__all__ = [
    "ACTIVE_STATES",
    "DECLARATION_ORDER",
    "AccessEndReason",
    "AccessGrant",
    "AccountToken",
    "AreaOffice",
    "AuditEntry",
    "CheckOutcome",
    "DeclarationKind",
    "DeclarationVersion",
    "Document",
    "EffortKind",
    "EventKind",
    "ExternalIdentity",
    "IdentityMethod",
    "Institution",
    "InstitutionKind",
    "InstitutionRules",
    "LoginSession",
    "Municipality",
    "Organisation",
    "OrganisationEvent",
    "OrganisationScope",
    "OrganisationState",
    "OwnerType",
    "Preparation",
    "Role",
    "RoleAssignment",
    "RuleProfile",
    "SecurityLevel",
    "Signature",
    "TermsAcceptance",
    "TermsKind",
    "TermsVersion",
    "TokenPurpose",
    "User",
    "Volunteer",
    "VolunteerEvent",
    "VolunteerState",
]
