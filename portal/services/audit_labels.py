"""How the audit log reads to the DPO: its actions, areas and object types in plain Danish,
and why a broken chain is broken. Any action without a name here is shown as it is written."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.labels import ACTIVITY_EVENT_LABELS, GRANT_EVENT_LABELS

# The areas (the part of an action before the dot), for "every action of ..." choices.
AREA_LABELS: dict[str, Any] = {
    "access": _l("Adgangskontrol"),
    "activity": _l("Aktiviteter"),
    "area_office": _l("Områdekontorer"),
    "audit": _l("Revisionsloggen"),
    "auth": _l("Log ind og log ud"),
    "calendar_feed": _l("Kalenderabonnementer"),
    "declaration": _l("Erklæringer"),
    "document": _l("Dokumenter"),
    "grant_application": _l("Tilskudsansøgninger"),
    "grant_change": _l("Ændringer af tilskud"),
    "grant_payment": _l("Udbetalinger af tilskud"),
    "grant_report": _l("Tilskudsrapporter"),
    "grant_review": _l("Bedømmelser"),
    "grant_round": _l("Tilskudsrunder"),
    "identity": _l("Identiteter (MitID m.fl.)"),
    "institution": _l("Institutioner"),
    "institution_contact": _l("Kontaktpersoner på institutioner"),
    "institution_rules": _l("Institutionernes regler"),
    "institution_section": _l("Afdelinger på institutioner"),
    "invitation": _l("Invitationer"),
    "municipality": _l("Kommuner"),
    "organisation": _l("Organisationer"),
    "privacy": _l("Databeskyttelse"),
    "reference": _l("Referencedata"),
    "reminders": _l("Påmindelser"),
    "retention": _l("Sletning efter opbevaringsregler"),
    "rule_profile": _l("Regelprofiler"),
    "signature": _l("Underskrifter"),
    "signing": _l("Underskrivning"),
    "subject_request": _l("Anmodninger fra registrerede"),
    "user": _l("Brugere"),
    "volunteer": _l("Frivillige"),
}

# What the common actions mean, in plain Danish; any other action is shown as it is written.
ACTION_LABELS: dict[str, Any] = {
    "access.denied": _l("Adgang nægtet"),
    "audit.exported": _l("Revisionsloggen hentet som CSV"),
    "audit.pruned": _l("Gamle poster i revisionsloggen slettet efter opbevaringsreglen"),
    "area_office.updated": _l("Områdekontor ændret"),
    "auth.login": _l("Logget ind"),
    "auth.login_failed": _l("Forkert e-mail eller adgangskode ved log ind"),
    "auth.logout": _l("Logget ud"),
    "auth.oidc_refused": _l("Log ind med MitID o.l. afvist"),
    "auth.reset_requested": _l("Bad om ny adgangskode"),
    "auth.reset_requested_unknown": _l("Ny adgangskode bedt om til en ukendt e-mail"),
    "calendar_feed.create": _l("Kalenderabonnement oprettet"),
    "calendar_feed.renew": _l("Kalenderabonnement fornyet"),
    "declaration.published": _l("Ny version af en erklæring udgivet"),
    "declaration.resign_requested": _l("Frivillige bedt om at underskrive igen"),
    "document.downloaded": _l("Dokument hentet"),
    "document.uploaded": _l("Dokument uploadet"),
    "grant_application.attachment_added": _l("Bilag tilføjet ansøgning"),
    "grant_application.attachment_removed": _l("Bilag fjernet fra ansøgning"),
    "grant_application.change_refused": _l("Ændring af ansøgning afvist"),
    "grant_application.decision_letter_issued": _l("Afgørelsesbrev dannet"),
    "grant_application.receipt_issued": _l("Kvittering for ansøgning dannet"),
    "grant_application.save": _l("Ansøgning gemt"),
    "grant_application.start": _l("Ansøgning påbegyndt"),
    "grant_change.approve": _l("Ændring af tilskud godkendt"),
    "grant_change.refuse": _l("Ændring af tilskud afvist"),
    "grant_change.requested": _l("Ændring af tilskud ønsket"),
    "grant_change.withdraw": _l("Ønsket ændring af tilskud trukket tilbage"),
    "grant_payment.recorded": _l("Udbetaling registreret"),
    "grant_report.approve": _l("Rapport godkendt"),
    "grant_report.ask_more": _l("Mere bedt om til rapporten"),
    "grant_report.audited_accounts_attached": _l("Revideret regnskab vedhæftet rapport"),
    "grant_report.saved": _l("Rapport gemt"),
    "grant_report.started": _l("Rapport påbegyndt"),
    "grant_report.submit": _l("Rapport sendt"),
    "grant_report.vouchers_attached": _l("Bilag vedhæftet rapport"),
    "grant_review.assign": _l("Bedømmer tildelt"),
    "grant_review.conflict": _l("Bedømmer erklæret inhabil"),
    "grant_review.score": _l("Bedømmelse givet"),
    "grant_review.unassign": _l("Bedømmer fjernet"),
    "grant_round.create": _l("Tilskudsrunde oprettet"),
    "grant_round.export": _l("Ansøgninger hentet som CSV"),
    "grant_round.finish": _l("Tilskudsrunde afsluttet"),
    "grant_round.mark_decided": _l("Tilskudsrunde afgjort"),
    "grant_round.publish": _l("Tilskudsrunde offentliggjort"),
    "grant_round.reviewers": _l("Rundens bedømmere ændret"),
    "grant_round.start_assessment": _l("Bedømmelse af tilskudsrunde startet"),
    "grant_round.update": _l("Tilskudsrunde ændret"),
    "grant_round.vouchers_drawn": _l("Udtaget til bilagskontrol"),
    "identity.created": _l("Identitet oprettet"),
    "identity.linked": _l("Identitet knyttet til konto"),
    "identity.proven": _l("Identitet bekræftet"),
    "institution.created": _l("Institution oprettet"),
    "institution.updated": _l("Institution ændret"),
    "institution_contact.added": _l("Kontaktperson tilføjet institution"),
    "institution_contact.removed": _l("Kontaktperson fjernet fra institution"),
    "institution_contact.updated": _l("Kontaktperson ændret"),
    "institution_rules.updated": _l("Institutionens regler ændret"),
    "institution_section.added": _l("Afdeling tilføjet institution"),
    "institution_section.updated": _l("Afdeling ændret"),
    "invitation.accepted": _l("Invitation taget imod"),
    "invitation.created": _l("Invitation sendt"),
    "invitation.revoked": _l("Invitation tilbagekaldt"),
    "municipality.updated": _l("Kommune ændret"),
    "organisation.anonymised": _l("Organisationens personoplysninger anonymiseret"),
    "organisation.answer": _l("Organisation: svar på spørgsmål sendt"),
    "organisation.approve": _l("Organisation godkendt som samarbejdspartner"),
    "organisation.draft_created": _l("Organisation: kladde oprettet"),
    "organisation.directory_updated": _l("Organisationens opslag i kataloget ændret"),
    "organisation.draft_updated": _l("Organisation: kladde ændret"),
    "organisation.exported": _l("Sager hentet som CSV"),
    "organisation.hand_over": _l("Organisationens sag givet videre"),
    "organisation.member_removed": _l("Medarbejder fjernet fra organisation"),
    "organisation.message": _l("Organisation: besked"),
    "organisation.profile_change_accepted": _l("Ændring af organisationens oplysninger godkendt"),
    "organisation.profile_change_declined": _l("Ændring af organisationens oplysninger afvist"),
    "organisation.profile_updated": _l("Organisationens oplysninger ændret"),
    "organisation.reinstate": _l("Organisation genoptaget som samarbejdspartner"),
    "organisation.reject": _l("Organisation afvist som samarbejdspartner"),
    "organisation.request_information": _l("Organisation bedt om flere oplysninger"),
    "organisation.submit": _l("Organisationens ansøgning sendt"),
    "organisation.suspend": _l("Organisation suspenderet"),
    "organisation.take": _l("Organisationens sag taget"),
    "organisation.terms_accepted": _l("Organisationen accepterede vilkårene"),
    "privacy.export_made": _l("Indsigtsudtræk dannet"),
    "privacy.record_exported": _l("Fortegnelsen over behandlinger hentet"),
    "privacy.record_settings_changed": _l("Fortegnelsens oplysninger ændret"),
    "privacy.request_answer": _l("Anmodning fra registreret besvaret"),
    "privacy.request_check_identity": _l("Identitet kontrolleret for anmodning"),
    "privacy.request_create": _l("Anmodning fra registreret modtaget"),
    "privacy.request_erase": _l("Sletning efter anmodning udført"),
    "privacy.request_export": _l("Indsigtsudtræk dannet"),
    "privacy.request_extend": _l("Frist for anmodning forlænget"),
    "privacy.request_link_account": _l("Anmodning knyttet til en konto"),
    "privacy.request_refuse": _l("Anmodning fra registreret afvist"),
    "privacy.request_start": _l("Behandling af anmodning påbegyndt"),
    "retention.dry_run": _l("Prøvekørsel af sletning efter opbevaringsregler"),
    "reference.loaded": _l("Referencedata indlæst"),
    "reminders.run": _l("Påmindelser sendt (automatisk kørsel)"),
    "retention.run": _l("Sletning efter opbevaringsregler kørt"),
    "rule_profile.updated": _l("Regelprofil ændret"),
    "signature.created": _l("Erklæring underskrevet"),
    "signature.receipt_issued": _l("Kvittering for underskrift dannet"),
    "signature.verified": _l("Underskrift kontrolleret"),
    "signing.identity_failed": _l("Frivillig kunne ikke bekræfte sin identitet"),
    "signing.identity_proven": _l("Frivillig bekræftede sin identitet"),
    "signing.identity_mismatch": _l(
        "Afvist: en anden person end den, der underskrev første gang, forsøgte at bekræfte identiteten"
    ),
    "user.activated": _l("Bruger genaktiveret"),
    "user.anonymised": _l("Bruger anonymiseret"),
    "user.created": _l("Bruger oprettet"),
    "user.deactivated": _l("Bruger deaktiveret"),
    "user.exported": _l("Brugerlisten hentet som CSV"),
    "user.language_changed": _l("Sprog ændret"),
    "user.password_changed": _l("Adgangskode ændret"),
    "user.password_reset": _l("Adgangskode nulstillet"),
    "user.role_granted": _l("Rolle givet"),
    "user.role_revoked": _l("Rolle frataget"),
    "volunteer.access_expired": _l("Frivilligs adgang udløbet"),
    "volunteer.access_expiry_reminded": _l("Frivillig påmindet om udløb af adgang"),
    "volunteer.access_granted": _l("Frivillig fik adgang til institution"),
    "volunteer.access_revoked": _l("Frivilligs adgang tilbagekaldt"),
    "volunteer.account_attached": _l("Frivillig knyttet til sin konto"),
    "volunteer.anonymised": _l("Frivillig anonymiseret"),
    "volunteer.awaiting_check": _l("Frivillig venter på tjek"),
    "volunteer.check_outcome_viewed": _l("Resultat af tjek i Kriminalregistret set"),
    "volunteer.check_recorded": _l("Resultat af tjek i Kriminalregistret registreret"),
    "volunteer.consent_withdrawn": _l("Frivillig trak sit samtykke tilbage"),
    "volunteer.cpr_erased": _l("Frivilligs CPR-nummer slettet"),
    "volunteer.cpr_given": _l("Frivillig afgav CPR-nummer"),
    "volunteer.cpr_revealed": _l("CPR-nummer vist"),
    "volunteer.expired": _l("Al frivilligs adgang udløbet"),
    "volunteer.exported": _l("Frivillige hentet som CSV"),
    "volunteer.imported": _l("Frivillige importeret fra CSV"),
    "volunteer.invitation_lapse_notified": _l("Organisationen fik besked om udløbet link"),
    "volunteer.invitation_reminded": _l("Frivillig påmindet om invitation"),
    "volunteer.invitation_resent": _l("Nyt link sendt til frivillig"),
    "volunteer.prepared": _l("Forberedelse af frivillig registreret"),
    "volunteer.registered": _l("Frivillig registreret"),
    "volunteer.renewed": _l("Fornyelse af frivillig startet"),
}

# Actions made from a workflow's step (``activity.approve``) read as the step's history label.
_STEP_LABELS: dict[str, dict[str, Any]] = {
    "activity": ACTIVITY_EVENT_LABELS,
    "grant_application": GRANT_EVENT_LABELS,
}

OBJECT_TYPE_LABELS: dict[str, Any] = {
    "access_grant": _l("Adgang til institution"),
    "account_token": _l("Invitation eller nulstilling"),
    "activity": _l("Aktivitet"),
    "area_office": _l("Områdekontor"),
    "audit_checkpoint": _l("Kontrolpunkt i revisionsloggen"),
    "audit_entry": _l("Revisionslog"),
    "data_subject_request": _l("Anmodning fra registreret"),
    "declaration_version": _l("Erklæringsversion"),
    "document": _l("Dokument"),
    "external_identity": _l("Identitet"),
    "grant_application": _l("Tilskudsansøgning"),
    "grant_change_request": _l("Ændring af tilskud"),
    "grant_report": _l("Tilskudsrapport"),
    "grant_round": _l("Tilskudsrunde"),
    "institution": _l("Institution"),
    "institution_contact": _l("Kontaktperson"),
    "institution_section": _l("Afdeling"),
    "job": _l("Kørsel"),
    "municipality": _l("Kommune"),
    "organisation": _l("Organisation"),
    "processing_record": _l("Fortegnelse over behandlinger"),
    "reference": _l("Referencedata"),
    "rule_profile": _l("Regelprofil"),
    "signature": _l("Underskrift"),
    "user": _l("Bruger"),
    "user_account": _l("Bruger"),
    "volunteer": _l("Frivillig"),
}


def action_label(action: str) -> str:
    """The action in plain Danish, or as it is written when it has no name yet."""
    found = ACTION_LABELS.get(action)
    if found is not None:
        return str(found)
    area, _dot, step = action.partition(".")
    step_label = _STEP_LABELS.get(area, {}).get(step)
    if step_label is not None:
        return f"{AREA_LABELS[area]}: {step_label}"
    return action


def object_type_label(object_type: str) -> str:
    found = OBJECT_TYPE_LABELS.get(object_type)
    return str(found) if found is not None else object_type


def area_label(area: str) -> str:
    found = AREA_LABELS.get(area)
    return str(found) if found is not None else area


# verify_chain's reasons (portal/audit.py), for the DPO.
_CHAIN_REASONS: dict[str, Any] = {
    "previous hash does not match (a row before it was changed or removed)": _l(
        "Posten peger ikke på den forrige post. En post før den er ændret eller slettet."
    ),
    "content does not match its hash (the row was changed)": _l(
        "Postens indhold passer ikke til dens hash. Posten er ændret."
    ),
    "the first entry after the checkpoint is missing": _l(
        "Den første post efter seneste sletning af gamle poster mangler."
    ),
    "no entries after the checkpoint": _l(
        "Der er ingen poster efter seneste sletning af gamle poster."
    ),
    "the checkpoint is not confirmed by an audit.pruned entry in the chain": _l(
        "Kontrolpunktet for seneste sletning af gamle poster bekræftes ikke af en post i loggen. Det kan være tilføjet eller ændret bagefter."
    ),
}


def chain_reason(reason: str) -> str:
    """Why the chain is broken, in Danish when the reason is a known one."""
    found = _CHAIN_REASONS.get(reason)
    return str(found) if found is not None else reason
