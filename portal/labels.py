"""Human names for the portal's enums, in the user's language."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.models import (
    AccessEndReason,
    ActivityKind,
    ActivityState,
    ApplicationState,
    ChangeKind,
    CheckOutcome,
    DeclarationKind,
    EffortKind,
    GrantDecision,
    IdentityMethod,
    InstitutionKind,
    MentorHelp,
    OrganisationScope,
    OrganisationState,
    ProjectKind,
    ReportKind,
    ReportState,
    RequestState,
    Role,
)
from portal.services.volunteer_status import VolunteerStatus

# Pairs, not a dict literal: StrEnum members equal their values, so "expired" of two enums
# would be one key. ``label`` looks them up by (enum class, value).
_LABEL_PAIRS: tuple[tuple[enum.Enum, Any], ...] = (
    (Role.NGO_ADMIN, _l("Administrator i organisation")),
    (Role.NGO_MEMBER, _l("Medarbejder i organisation")),
    (Role.VOLUNTEER, _l("Frivillig")),
    (Role.CASEWORKER, _l("Sagsbehandler")),
    (Role.INSTITUTION_CONTACT, _l("Kontaktperson på institution")),
    (Role.GRANT_OFFICER, _l("Puljeforvalter")),
    (Role.REVIEWER, _l("Bedømmer")),
    (Role.DPO, _l("Databeskyttelsesrådgiver")),
    (Role.ADMIN, _l("Systemadministrator")),
    (InstitutionKind.ARREST, _l("Arrest")),
    (InstitutionKind.CLOSED_PRISON, _l("Lukket fængsel")),
    (InstitutionKind.OPEN_PRISON, _l("Åbent fængsel")),
    (InstitutionKind.HALFWAY_HOUSE, _l("Udslusning / pension")),
    (InstitutionKind.PROBATION_OFFICE, _l("Kriminalforsorgen i Frihed")),
    (OrganisationState.DRAFT, _l("Kladde")),
    (OrganisationState.SUBMITTED, _l("Indsendt")),
    (OrganisationState.IN_REVIEW, _l("Under behandling")),
    (OrganisationState.MORE_INFORMATION, _l("Mangler oplysninger")),
    (OrganisationState.APPROVED, _l("Godkendt")),
    (OrganisationState.REJECTED, _l("Afvist")),
    (OrganisationState.SUSPENDED, _l("Suspenderet")),
    (OrganisationScope.LOCAL, _l("Lokal")),
    (OrganisationScope.NATIONAL, _l("Landsdækkende")),
    (EffortKind.VISITING_FRIEND, _l("Besøgsven")),
    (EffortKind.MENTOR, _l("Mentor")),
    (EffortKind.TEACHING, _l("Undervisning")),
    (EffortKind.LEISURE, _l("Fritidsaktiviteter")),
    (EffortKind.NETWORK, _l("Netværk")),
    (EffortKind.DEBT_COUNSELLING, _l("Gældsrådgivning")),
    (EffortKind.RELATIVES, _l("Aktiviteter for pårørende")),
    (EffortKind.OTHER, _l("Andet")),
    (VolunteerStatus.INVITED, _l("Inviteret")),
    (VolunteerStatus.INVITATION_LAPSED, _l("Invitation udløbet")),
    (VolunteerStatus.AWAITING_CHECK, _l("Underskrevet, afventer tjek")),
    (VolunteerStatus.CLEARED, _l("Godkendt")),
    (VolunteerStatus.ACCESS_GRANTED, _l("Har adgang")),
    (VolunteerStatus.EXPIRING, _l("Adgang udløber snart")),
    (VolunteerStatus.EXPIRED, _l("Adgang udløbet")),
    (VolunteerStatus.RESIGN_NEEDED, _l("Skal underskrive igen")),
    (VolunteerStatus.WITHDRAWN, _l("Samtykke trukket tilbage")),
    (VolunteerStatus.NOT_CLEARED, _l("Ikke godkendt")),
    (CheckOutcome.CLEARED, _l("Godkendt")),
    (CheckOutcome.CLEARED_AFTER_ASSESSMENT, _l("Godkendt efter konkret vurdering")),
    (CheckOutcome.NOT_CLEARED, _l("Ikke godkendt")),
    (AccessEndReason.REVOKED, _l("Tilbagekaldt")),
    (AccessEndReason.CONSENT_WITHDRAWN, _l("Samtykke trukket tilbage")),
    (AccessEndReason.EXPIRED, _l("Udløbet")),
    (AccessEndReason.RENEWAL, _l("Erstattet ved fornyelse")),
    (DeclarationKind.REGISTER_CONSENT, _l("Samtykke til træk i Kriminalregistret")),
    (DeclarationKind.CONFIDENTIALITY, _l("Tavshedspligt")),
    (DeclarationKind.SECURITY_RULES, _l("Sikkerhedsregler")),
    (DeclarationKind.VISITING_FRIEND, _l("Besøgsvens erklæring")),
    (IdentityMethod.OIDC, _l("Log-in hos identitetsudbyder")),
    (IdentityMethod.LINK_BIRTH_DATE, _l("Link i e-mail og fødselsdato")),
    (IdentityMethod.LOGIN_BIRTH_DATE, _l("Log-in og fødselsdato")),
    (ActivityKind.VISITING_FRIEND, _l("Besøgsven")),
    (ActivityKind.MENTOR, _l("Mentor")),
    (ActivityKind.TEACHING, _l("Undervisning")),
    (ActivityKind.LEISURE, _l("Fritidsaktivitet")),
    (ActivityKind.NETWORK, _l("Netværk")),
    (ActivityKind.DEBT_COUNSELLING, _l("Gældsrådgivning")),
    (ActivityKind.RELATIVES, _l("Aktivitet for pårørende")),
    (ActivityKind.OTHER, _l("Andet")),
    (MentorHelp.PRACTICAL, _l("Praktisk hjælp")),
    (MentorHelp.COMMUNICATION, _l("Kommunikationshjælp")),
    (MentorHelp.PERSONAL, _l("Personlig hjælp")),
    (MentorHelp.RESOCIALISATION, _l("Understøtte kriminalforsorgens resocialiserende indsats")),
    (ActivityState.SENT, _l("Afventer afgørelse")),
    (ActivityState.CHANGES_REQUESTED, _l("Ændringer ønsket")),
    (ActivityState.APPROVED, _l("Godkendt")),
    (ActivityState.REFUSED, _l("Afvist")),
    (ActivityState.WITHDRAWN, _l("Trukket tilbage")),
    (ActivityState.CANCELLED, _l("Aflyst")),
    (ApplicationState.DRAFT, _l("Kladde")),
    (ApplicationState.SUBMITTED, _l("Sendt, venter på screening")),
    (ApplicationState.INELIGIBLE, _l("Afvist ved screening")),
    (ApplicationState.IN_REVIEW, _l("Under bedømmelse")),
    (ApplicationState.DECIDED, _l("Afgjort")),
    (ApplicationState.ACCEPTED, _l("Tilskud modtaget")),
    (ApplicationState.DECLINED, _l("Tilskud afslået af organisationen")),
    (ApplicationState.CLOSED, _l("Lukket")),
    (GrantDecision.GRANTED, _l("Bevilget")),
    (GrantDecision.PARTLY_GRANTED, _l("Delvist bevilget")),
    (GrantDecision.REFUSED, _l("Afslag")),
    (ProjectKind.MENTOR, _l("Mentorordninger og samtaler")),
    (ProjectKind.LEISURE, _l("Fritid, kultur og idræt")),
    (ProjectKind.EDUCATION_WORK, _l("Uddannelse og beskæftigelse")),
    (ProjectKind.FAMILY, _l("Familie og netværk")),
    (ProjectKind.RELEASE, _l("Løsladelse og tiden efter")),
    (ProjectKind.OTHER, _l("Andet")),
    (ChangeKind.REALLOCATION, _l("Flytning af penge mellem budgetlinjer")),
    (ChangeKind.EXTENSION, _l("Forlængelse af projektperioden")),
    (ChangeKind.ACTIVITY, _l("Ændring af aktiviteten")),
    (RequestState.SUBMITTED, _l("Venter på afgørelse")),
    (RequestState.APPROVED, _l("Godkendt")),
    (RequestState.REFUSED, _l("Afvist")),
    (RequestState.WITHDRAWN, _l("Trukket tilbage")),
    (ReportKind.INTERIM, _l("Delrapport")),
    (ReportKind.FINAL, _l("Slutrapport")),
    (ReportState.DRAFT, _l("Kladde")),
    (ReportState.SUBMITTED, _l("Sendt, venter på godkendelse")),
    (ReportState.MORE_REQUESTED, _l("Mere ønsket")),
    (ReportState.APPROVED, _l("Godkendt")),
)
LABELS: dict[tuple[type, str], Any] = {(type(m), m.value): text for m, text in _LABEL_PAIRS}

# The volunteer's history (VolunteerEvent.action), as the organisation and the caseworker see it.
VOLUNTEER_EVENT_LABELS: dict[str, Any] = {
    "registered": _l("Registreret af organisationen, invitation sendt"),
    "invitation_resent": _l("Nyt link sendt (det gamle virker ikke længere)"),
    "invitation_reminded": _l("Påmindelse sendt til den frivillige"),
    "invitation_lapsed": _l("Linket udløb uden at blive brugt; organisationen fik besked"),
    "renewal": _l("Fornyelse startet: nyt link sendt, nyt tjek skal foretages"),
    "preparation": _l("Forberedelse registreret"),
    "account_attached": _l("Den frivillige åbnede linket og bekræftede sin identitet"),
    "signed": _l("Erklæringer underskrevet"),
    "awaiting_check": _l("Alt er underskrevet; venter på områdekontorets tjek"),
    "cleared": _l("Godkendt efter tjek i Kriminalregistret"),
    "not_cleared": _l("Ikke godkendt efter tjek i Kriminalregistret"),
    "access_granted": _l("Fik adgang til institutioner"),
    "access_revoked": _l("Adgang tilbagekaldt"),
    "access_expired": _l("Adgang udløbet"),
    "expired": _l("Al adgang er udløbet"),
    "consent_withdrawn": _l("Trak sit samtykke tilbage"),
}

# An activity's history (ActivityEvent.action), as both sides see it.
ACTIVITY_EVENT_LABELS: dict[str, Any] = {
    "send": _l("Forslaget blev sendt"),
    "approve": _l("Godkendt"),
    "request_changes": _l("Institutionen bad om ændringer"),
    "refuse": _l("Afvist"),
    "resend": _l("Forslaget blev rettet og sendt igen"),
    "change": _l("Ændret efter godkendelsen og sendt til ny godkendelse"),
    "withdraw": _l("Trukket tilbage af organisationen"),
    "cancel": _l("Aflyst af organisationen"),
    "message": _l("Besked"),
    "participant_blocked": _l("En deltager må ikke længere deltage"),
    "participant_unblocked": _l("En deltager må igen deltage"),
}

# A grant application's history (GrantApplicationEvent.action), as both sides see it.
GRANT_EVENT_LABELS: dict[str, Any] = {
    "submit": _l("Ansøgningen blev sendt"),
    "screen_pass": _l("De formelle krav er opfyldt; ansøgningen går til bedømmelse"),
    "screen_reject": _l("Afvist ved screening: de formelle krav er ikke opfyldt"),
    "decide": _l("Afgørelse truffet"),
    "accept": _l("Organisationen tog imod tilskuddet og betingelserne"),
    "decline": _l("Organisationen sagde nej tak til tilskuddet"),
    "close": _l("Tilskudssagen er lukket"),
    "message": _l("Besked"),
    "payment": _l("Udbetaling registreret"),
    "change_requested": _l("Organisationen bad om en ændring"),
    "change_approved": _l("Ændringen blev godkendt"),
    "change_refused": _l("Ændringen blev afvist"),
    "change_withdrawn": _l("Organisationen trak ændringsønsket tilbage"),
    "report_submitted": _l("Rapport sendt"),
    "report_approved": _l("Rapporten blev godkendt"),
    "report_more_requested": _l("Tilskudsmedarbejderen bad om mere til rapporten"),
    "report_reminder": _l("Påmindelse om rapporten sendt"),
    "report_overdue": _l("Rapporten er ikke kommet til tiden; organisationen fik besked"),
    "vouchers_requested": _l("Udtaget til bilagskontrol"),
}

STATE_TAGS = {
    ApplicationState.INELIGIBLE: "error",
    ApplicationState.DECIDED: "info",
    ApplicationState.ACCEPTED: "success",
    ApplicationState.DECLINED: "warning",
    GrantDecision.GRANTED: "success",
    GrantDecision.PARTLY_GRANTED: "success",
    GrantDecision.REFUSED: "error",
    RequestState.APPROVED: "success",
    RequestState.REFUSED: "error",
    ReportState.APPROVED: "success",
    ReportState.MORE_REQUESTED: "warning",
    ActivityState.CHANGES_REQUESTED: "warning",
    ActivityState.REFUSED: "error",
    ActivityState.CANCELLED: "error",
    OrganisationState.APPROVED: "success",
    OrganisationState.REJECTED: "error",
    OrganisationState.SUSPENDED: "error",
    OrganisationState.MORE_INFORMATION: "warning",
    VolunteerStatus.ACCESS_GRANTED: "success",
    VolunteerStatus.CLEARED: "success",
    VolunteerStatus.EXPIRING: "warning",
    VolunteerStatus.RESIGN_NEEDED: "warning",
    VolunteerStatus.INVITATION_LAPSED: "warning",
    VolunteerStatus.NOT_CLEARED: "error",
    VolunteerStatus.WITHDRAWN: "error",
    VolunteerStatus.EXPIRED: "error",
}


def lazy_label(member: enum.Enum) -> Any:
    """The untranslated (lazy) name, for choices built when a module is imported."""
    return LABELS[(type(member), member.value)]


def label(value: Any) -> str:
    """The translated name of an enum member (the raw value if it has none)."""
    found = LABELS.get((type(value), value.value)) if isinstance(value, enum.Enum) else None
    return str(found) if found is not None else str(getattr(value, "value", value))


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(member.value, label(member)) for member in enum_cls]
