"""The record of processing activities (GDPR art. 30), generated from the code.

Every model that holds personal data declares, in ``__privacy__``, which processing activity
it belongs to and its purpose, legal basis, categories, recipients and retention. The record
groups those declarations by activity (``ACTIVITIES``) and adds what the code cannot know: the
DPO's own fields (controller, DPO contact, security measures, transfers, last review), kept in
the single ``ProcessingRecordSettings`` row. Every export names the code version it was made
from, so a record can be traced to the declarations it shows.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal import PROJECT_ROOT, audit, db
from portal.db import Base, utcnow
from portal.models import ProcessingRecordSettings, User
from portal.privacy import PrivacyDeclaration

SETTINGS_ID = 1  # the one row of the DPO's fields

# --- the processing activities ---------------------------------------------------------------


@dataclass(frozen=True)
class ProcessingActivity:
    """One processing activity of the record; declarations name it by ``key``."""

    key: str
    title: Any
    description: Any


ACTIVITIES: tuple[ProcessingActivity, ...] = (
    ProcessingActivity(
        "accounts",
        _l("Brugerkonti og adgangsstyring"),
        _l(
            "Portalens brugere får en konto med navn og e-mail og logger ind med adgangskode eller gennem en OpenID Connect-udbyder (fx en MitID-broker). Kontoen har en eller flere roller, som afgør, hvad brugeren må se og gøre, og for hvilken organisation, hvilket områdekontor eller hvilken institution. Invitationer og nulstilling af adgangskode sendes som engangslinks på e-mail."
        ),
    ),
    ProcessingActivity(
        "security",
        _l("Sikker log-in og sessioner"),
        _l(
            "Hver log-in er en session, som portalen gemmer på serveren med tidspunkter, IP-adresse og browser, så den kan udløbe, tilbagekaldes og ikke kan genbruges af andre."
        ),
    ),
    ProcessingActivity(
        "onboarding",
        _l("Godkendelse af organisationer"),
        _l(
            "Civilsamfundsorganisationer søger om at blive godkendt som samarbejdspartnere. Områdekontoret behandler sagen, og organisationen accepterer samarbejdsvilkår og databehandleraftale. Godkendte organisationer kan vises i det offentlige katalog med de kontaktoplysninger, de selv har valgt."
        ),
    ),
    ProcessingActivity(
        "volunteers",
        _l("Frivillige: erklæringer, tjek i Kriminalregistret og adgang"),
        _l(
            "Organisationerne registrerer deres frivillige. Den frivillige underskriver erklæringerne (samtykke til tjek i Kriminalregistret, tavshedspligt, sikkerhedsregler) og giver sit CPR-nummer, som kun opbevares krypteret, indtil kriminalforsorgen har registreret resultatet af tjekket. Registrets indhold gemmes aldrig, kun resultatet. Derefter giver sagsbehandleren adgang til institutioner for en periode."
        ),
    ),
    ProcessingActivity(
        "activities",
        _l("Aktiviteter på institutionerne"),
        _l(
            "Organisationerne foreslår aktiviteter på institutionerne med de frivillige, der skal deltage. Institutionen godkender, beder om ændringer eller afviser, og portalen holder øje med, om deltagerne har gyldig adgang. Godkendte aktiviteter kan følges i en kalender gennem en hemmelig adresse."
        ),
    ),
    ProcessingActivity(
        "institutions",
        _l("Kontaktpersoner på institutionerne"),
        _l(
            "Institutionerne oplyser kontaktpersoner, som godkendte organisationer kan kontakte om aktiviteter."
        ),
    ),
    ProcessingActivity(
        "documents",
        _l("Dokumenter"),
        _l(
            "Filer, som organisationer og personer indsender (vedtægter, regnskaber, bilag), og dokumenter, portalen selv danner (kvitteringer, afgørelsesbreve, indsigtsudtræk). Filerne opbevares i et lager, og hvert dokument følger den sag eller person, det hører til."
        ),
    ),
    ProcessingActivity(
        "grants",
        _l("Civilsamfundspuljen: ansøgninger, bedømmelse og opfølgning"),
        _l(
            "Organisationer søger tilskud i puljens ansøgningsrunder. Ansøgningerne screenes og bedømmes af bedømmere, der erklærer sig inhabile, hvor det gælder, og puljeforvalteren træffer afgørelse. Efter et tilskud følger udbetalinger, ændringsønsker og afrapportering med regnskab."
        ),
    ),
    ProcessingActivity(
        "privacy",
        _l("Databeskyttelse: de registreredes rettigheder og fortegnelsen"),
        _l(
            "Registrerede kan bede om indsigt, berigtigelse og sletning. Databeskyttelsesrådgiveren registrerer og behandler anmodningerne inden for fristerne og fører denne fortegnelse."
        ),
    ),
    ProcessingActivity(
        "audit",
        _l("Revisionslog"),
        _l(
            "Alle ændringer og al læsning af følsomme oplysninger skrives i en revisionslog, som kun kan tilføjes til, og hvis sammenhæng kan efterprøves. Loggen bruges til at opdage og efterforske misbrug."
        ),
    ),
)

ACTIVITY_KEYS = frozenset(activity.key for activity in ACTIVITIES)

# --- the DPO's fields ------------------------------------------------------------------------

DEFAULT_TRANSFERS = _l("Ingen overførsel til tredjelande")


def default_security_measures() -> str:
    """What the portal really does to protect the data (the DPO may add to it)."""
    settings = current_app.config["PORTAL"]
    return str(
        _l(
            "Adgang kræver log-in med personlig adgangskode (gemt som Argon2-hash) eller gennem en OpenID Connect-udbyder, fx en MitID-broker. "
            "Adgangen er rollebaseret: hver bruger ser kun det, rollen og tilknytningen til organisation, områdekontor eller institution giver adgang til. "
            "Sessioner gemmes på serveren, udløber efter %(idle)d minutters inaktivitet og senest %(hours)d timer efter log-in og kan tilbagekaldes; gentagne log-in-forsøg begrænses. "
            "Portalen bruges over HTTPS (TLS, med HSTS og sikre cookies i drift), formularer er beskyttet mod CSRF, og sider med personoplysninger gemmes ikke i browserens cache. "
            "CPR-numre krypteres med AES-256-GCM, vises kun maskeret og slettes, så snart resultatet af tjekket i Kriminalregistret er registreret; registrets indhold gemmes aldrig. "
            "Beviset for hver underskrift forsegles med HMAC-SHA256, så ændringer kan opdages. Links i e-mails gemmes kun som SHA-256-fingeraftryk og kan kun bruges én gang. "
            "Uploadede filer kontrolleres efter deres indhold og gemmes under tilfældige navne, i drift i et S3-lager, der kan kryptere dem. "
            "Alle ændringer og al læsning af følsomme oplysninger skrives i en hash-kædet revisionslog, der kun kan tilføjes til, og hvis sammenhæng kan efterprøves. "
            "Et sletjob håndhæver de opbevaringsregler, der står i fortegnelsen.",
            idle=settings["SESSION_IDLE_MINUTES"],
            hours=settings["SESSION_ABSOLUTE_HOURS"],
        )
    )


def default_settings() -> ProcessingRecordSettings:
    """The DPO's fields before anything is saved: an unsaved row (never added to a session),
    with the authority from the configuration and the default texts."""
    settings = current_app.config["PORTAL"]
    contact = ", ".join(
        part
        for part in (
            settings["AGENCY_CONTACT_EMAIL"],
            f"tlf. {settings['AGENCY_CONTACT_PHONE']}" if settings["AGENCY_CONTACT_PHONE"] else "",
        )
        if part
    )
    return ProcessingRecordSettings(
        id=SETTINGS_ID,
        controller_name=settings["AGENCY_NAME"],
        controller_address="",
        controller_contact=contact,
        dpo_name="",
        dpo_email="",
        dpo_phone="",
        security_measures=default_security_measures(),
        transfers=str(DEFAULT_TRANSFERS),
        last_reviewed_on=None,
    )


def load_settings(session: Session) -> ProcessingRecordSettings | None:
    """The saved row, if the DPO has saved it."""
    return session.get(ProcessingRecordSettings, SETTINGS_ID)


def current_settings(session: Session) -> ProcessingRecordSettings:
    """The saved row, or the defaults (unsaved: a GET never writes)."""
    return load_settings(session) or default_settings()


def settings_version(settings: ProcessingRecordSettings) -> int:
    """The version a form carries: 0 for the defaults that were never saved."""
    return settings.version or 0


@dataclass(frozen=True)
class SettingsValues:
    """What the DPO types in the form."""

    controller_name: str
    controller_address: str
    controller_contact: str
    dpo_name: str
    dpo_email: str
    dpo_phone: str
    security_measures: str
    transfers: str
    last_reviewed_on: date | None


SETTINGS_FIELDS = tuple(f.name for f in fields(SettingsValues))


class SettingsConflict(Exception):
    """Someone saved the DPO's fields since the form was opened."""

    message = _l(
        "En anden har gemt oplysningerne, mens du havde siden åben. Dit er ikke gemt. Se de gemte oplysninger herunder; gem igen for at erstatte dem med dine."
    )


def save_settings(values: SettingsValues, actor: User, *, expected_version: int) -> list[str]:
    """Save the DPO's fields, if the form was made from the version saved now; return the names
    of the fields that changed (audited as ``privacy.record_settings_changed``). The first save
    creates the row, even if nothing differs from the defaults."""
    session = db.session
    settings = load_settings(session)
    if expected_version != (settings.version if settings is not None else 0):
        raise SettingsConflict
    created = settings is None
    if settings is None:
        settings = default_settings()
        session.add(settings)
    changed = [name for name in SETTINGS_FIELDS if getattr(settings, name) != getattr(values, name)]
    if not changed and not created:
        return []
    for name in changed:
        setattr(settings, name, getattr(values, name))
    settings.updated_by_id = actor.id
    settings.updated_at = utcnow()
    try:
        session.flush()
    except (StaleDataError, IntegrityError):
        # A concurrent save moved the version, or created the row first.
        session.rollback()
        raise SettingsConflict from None
    audit.record(
        "privacy.record_settings_changed",
        object_type="processing_record",
        object_id=SETTINGS_ID,
        details={"fields": changed, "created": created, "version": settings.version},
        actor_id=str(actor.id),
    )
    return changed


# --- the code version ------------------------------------------------------------------------


def package_version() -> str:
    try:
        return importlib.metadata.version("partnerportalen")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@functools.cache
def _git_revision() -> str:
    """The commit the code runs from, when it runs from a git checkout (read once)."""
    git = shutil.which("git")
    if git is None or not (PROJECT_ROOT / ".git").exists():
        return ""
    try:
        # A fixed argument list with the resolved git binary: no shell, no user input.
        found = subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return found.stdout.strip()


def code_version() -> str:
    """The package version with the commit (git, else ``PORTAL_VERSION`` from the deployment),
    e.g. ``0.1.0 (2cec2f2)``; the package version alone when neither is known."""
    package = package_version()
    revision = _git_revision() or os.environ.get("PORTAL_VERSION", "").strip()
    if revision and revision != package:
        return f"{package} ({revision})"
    return package


# --- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredTable:
    """One table's declaration, as the record shows it."""

    table: str
    model: str
    declaration: PrivacyDeclaration

    @property
    def columns(self) -> tuple[str, ...]:
        return self.declaration.columns


@dataclass(frozen=True)
class ActivityRecord:
    """One processing activity with everything its tables declare, merged in order."""

    key: str
    title: str
    description: str
    purposes: tuple[str, ...]
    legal_bases: tuple[str, ...]
    special_bases: tuple[str, ...]
    data_categories: tuple[str, ...]
    subject_categories: tuple[str, ...]
    recipients: tuple[str, ...]
    retention_rules: tuple[str, ...]
    tables: tuple[DeclaredTable, ...]


@dataclass(frozen=True)
class ProcessingRecord:
    settings: ProcessingRecordSettings
    saved: bool  # False: the defaults are shown; the DPO has not saved the fields yet
    code_version: str
    generated_at: datetime
    activities: tuple[ActivityRecord, ...]

    @property
    def tables(self) -> list[DeclaredTable]:
        return [table for activity in self.activities for table in activity.tables]


def declared_tables() -> list[DeclaredTable]:
    """Every mapped table with a ``__privacy__`` declaration, by table name."""
    found = [
        DeclaredTable(mapper.local_table.name, mapper.class_.__name__, declaration)
        for mapper in Base.registry.mappers
        if isinstance(declaration := mapper.class_.__dict__.get("__privacy__"), PrivacyDeclaration)
    ]
    return sorted(found, key=lambda table: table.table)


def _merged(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once, in the order first seen."""
    return tuple(dict.fromkeys(value.strip() for value in values if value and value.strip()))


def _activity_record(
    activity: ProcessingActivity, tables: Sequence[DeclaredTable]
) -> ActivityRecord:
    declarations = [table.declaration for table in tables]
    return ActivityRecord(
        key=activity.key,
        title=str(activity.title),
        description=str(activity.description),
        purposes=_merged(d.purpose for d in declarations),
        legal_bases=_merged(d.legal_basis for d in declarations),
        special_bases=_merged(d.special_basis or "" for d in declarations),
        data_categories=_merged(c for d in declarations for c in d.data_categories),
        subject_categories=_merged(c for d in declarations for c in d.subject_categories),
        recipients=_merged(r for d in declarations for r in d.recipients),
        retention_rules=_merged(d.retention for d in declarations),
        tables=tuple(tables),
    )


def build_record(session: Session, *, now: datetime | None = None) -> ProcessingRecord:
    """The whole record: the DPO's fields and, per activity, what its tables declare.

    Reads only: when the DPO has not saved the fields, the defaults are an unsaved row."""
    saved = load_settings(session)
    tables = declared_tables()
    activities = tuple(
        _activity_record(activity, [t for t in tables if t.declaration.activity == activity.key])
        for activity in ACTIVITIES
    )
    return ProcessingRecord(
        settings=saved or default_settings(),
        saved=saved is not None,
        code_version=code_version(),
        generated_at=now or utcnow(),
        activities=tuple(a for a in activities if a.tables),
    )


# --- the CSV ---------------------------------------------------------------------------------

_LIST_SEPARATOR = "; "


def _joined(values: Iterable[str]) -> str:
    return _LIST_SEPARATOR.join(values)


def csv_rows(record: ProcessingRecord) -> tuple[list[str], list[list[str]]]:
    """The record as rows that open well in Excel: first when and from which code version it
    was made and the DPO's fields, one to a row, then a blank row, then one row per activity and
    table (the header row of that table included). Returns (first row, the rest)."""
    settings = record.settings
    reviewed = settings.last_reviewed_on.isoformat() if settings.last_reviewed_on else ""
    first = [str(_l("Genereret")), format_datetime(record.generated_at, "yyyy-MM-dd HH:mm")]
    rows: list[list[str]] = [
        [str(_l("Kodeversion")), record.code_version],
        [str(_l("Dataansvarlig")), settings.controller_name],
        [str(_l("Adresse")), settings.controller_address],
        [str(_l("Kontakt")), settings.controller_contact],
        [str(_l("Databeskyttelsesrådgiver")), settings.dpo_name],
        [str(_l("Databeskyttelsesrådgiverens e-mail")), settings.dpo_email],
        [str(_l("Databeskyttelsesrådgiverens telefon")), settings.dpo_phone],
        [str(_l("Overførsel til tredjelande")), settings.transfers],
        [str(_l("Sikkerhedsforanstaltninger")), settings.security_measures],
        [str(_l("Sidst gennemgået")), reviewed],
        [],
        [
            str(_l("Behandlingsaktivitet")),
            str(_l("Tabel")),
            str(_l("Oplysninger (kolonner)")),
            str(_l("Formål")),
            str(_l("Retsgrundlag")),
            str(_l("Særligt retsgrundlag")),
            str(_l("Kategorier af personoplysninger")),
            str(_l("Kategorier af registrerede")),
            str(_l("Modtagere")),
            str(_l("Sletning")),
        ],
    ]
    for activity in record.activities:
        for table in activity.tables:
            declaration = table.declaration
            rows.append(
                [
                    activity.title,
                    table.table,
                    _joined(declaration.columns),
                    declaration.purpose,
                    declaration.legal_basis,
                    declaration.special_basis or "",
                    _joined(declaration.data_categories),
                    _joined(declaration.subject_categories),
                    _joined(declaration.recipients),
                    declaration.retention,
                ]
            )
    return first, rows


def file_name(record: ProcessingRecord, extension: str) -> str:
    day = format_datetime(record.generated_at, "yyyy-MM-dd")
    return f"fortegnelse-{day}.{extension}"


def record_exported(record: ProcessingRecord, export_format: str) -> None:
    """The export is audited with the code version it was made from."""
    audit.record(
        "privacy.record_exported",
        object_type="processing_record",
        object_id=SETTINGS_ID,
        details={
            "format": export_format,
            "code_version": record.code_version,
            "tables": len(record.tables),
        },
    )
