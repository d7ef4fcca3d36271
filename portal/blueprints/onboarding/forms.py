"""The forms of the registration steps and of the answer to a request for more information.

Rules that need the database (a CVR already in use, an e-mail that has an account) are asked of
the services; the forms only say which field the answer belongs to.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.forms import PortalForm, email_field, name_field, new_password_field, required, strip
from portal.labels import choices
from portal.models import OrganisationScope, TermsVersion
from portal.services import accounts, documents, onboarding

TEXT_MAX = 4000


def _with_scheme(value: str | None) -> str | None:
    """People write "www.forening.dk"; the URL check (and a link) needs the scheme."""
    value = strip(value)
    if value and "://" not in value:
        return f"https://{value}"
    return value


class _StepButtons:
    """A step's two buttons: "Gem og fortsæt" (the default, first in the form) and "Gem og luk"."""

    save_continue = SubmitField(_l("Gem og fortsæt"))
    save_close = SubmitField(_l("Gem og luk"))


# --- step 1: the contact person -------------------------------------------------------------


class AccountForm(PortalForm):
    name = name_field()
    email = email_field()
    password = new_password_field(_l("Adgangskode"))
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[
            required(_l("Gentag adgangskoden.")),
            EqualTo("password", message=_l("De to adgangskoder er ikke ens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    email_taken = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name.description = _l(
            "Du bliver kontaktperson og organisationens administrator i portalen."
        )
        self.email.description = _l(
            "Du logger ind med den, og vi skriver til den, når der er nyt i sagen."
        )

    def validate_email(self, field: Any) -> None:
        if accounts.find_user_by_email(field.data or "") is not None:
            self.email_taken = True
            raise ValidationError(
                _l(
                    "Der findes allerede en bruger med den e-mailadresse. Log ind først, så fortsætter du ansøgningen derfra."
                )
            )


# --- step 2: the organisation ---------------------------------------------------------------


class OrganisationFields(PortalForm):
    """The organisation's details, as the registration and the approved profile both edit them."""

    name = StringField(
        _l("Organisationens navn"),
        filters=[strip],
        validators=[
            required(_l("Skriv organisationens navn.")),
            Length(max=200, message=_l("Navnet er for langt.")),
        ],
        render_kw={"autocomplete": "organization"},
    )
    cvr = StringField(
        _l("CVR-nummer"),
        filters=[strip],
        validators=[required(_l("Skriv organisationens CVR-nummer."))],
        description=_l("8 cifre. I kan finde det på virk.dk."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    address = StringField(
        _l("Adresse"),
        filters=[strip],
        validators=[
            required(_l("Skriv organisationens adresse.")),
            Length(max=200, message=_l("Adressen er for lang.")),
        ],
        description=_l("Vej og husnummer."),
        render_kw={"autocomplete": "address-line1"},
    )
    postal_code = StringField(
        _l("Postnummer"),
        filters=[strip],
        validators=[
            required(_l("Skriv postnummeret.")),
            Regexp(r"^\d{4}$", message=_l("Postnummeret har 4 cifre, fx 2200.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code"},
    )
    city = StringField(
        _l("By"),
        filters=[strip],
        validators=[
            required(_l("Skriv byen.")),
            Length(max=100, message=_l("Bynavnet er for langt.")),
        ],
        render_kw={"autocomplete": "address-level2"},
    )
    municipality_id = SelectField(
        _l("Kommune"),
        validators=[required(_l("Vælg en kommune."))],
        description=_l(
            "Kommunen, hvor organisationen har adresse. Den afgør, hvilket af kriminalforsorgens områdekontorer der behandler ansøgningen."
        ),
    )
    scope = RadioField(
        _l("Arbejder organisationen lokalt eller i hele landet?"),
        choices=choices(OrganisationScope),
        validators=[InputRequired(_l("Vælg, om organisationen er lokal eller landsdækkende."))],
    )
    website = URLField(
        _l("Hjemmeside"),
        filters=[_with_scheme],
        validators=[
            Optional(),
            Length(max=300, message=_l("Adressen er for lang.")),
            URL(message=_l("Skriv en gyldig webadresse, fx www.forening.dk.")),
        ],
        render_kw={"autocomplete": "url", "spellcheck": "false"},
    )
    purpose = TextAreaField(
        _l("Organisationens formål"),
        validators=[
            required(_l("Beskriv organisationens formål.")),
            Length(max=TEXT_MAX, message=_l("Skriv højst %(max)d tegn.", max=TEXT_MAX)),
        ],
        description=_l(
            "Gerne som i vedtægterne. Har organisationen et helt eller delvist socialt eller velgørende formål?"
        ),
        render_kw={"rows": 5},
    )
    cooperation_intent = TextAreaField(
        _l("Hvad vil I lave sammen med kriminalforsorgen?"),
        validators=[
            required(_l("Beskriv, hvad I vil lave sammen med kriminalforsorgen.")),
            Length(max=TEXT_MAX, message=_l("Skriv højst %(max)d tegn.", max=TEXT_MAX)),
        ],
        description=_l(
            "Fx besøgsvenner, netværk, fritidsaktiviteter eller gældsrådgivning, og gerne hvor: i arresthuse, fængsler eller for klienter under tilsyn."
        ),
        render_kw={"rows": 5},
    )

    def values(self) -> dict[str, Any]:
        """What the service stores, typed."""
        return {
            "name": self.name.data or "",
            "cvr": self.cvr.data or "",
            "address": self.address.data or "",
            "postal_code": self.postal_code.data or "",
            "city": self.city.data or "",
            "municipality_id": uuid.UUID(self.municipality_id.data),
            "scope": OrganisationScope(self.scope.data),
            "website": self.website.data or "",
            "purpose": self.purpose.data or "",
            "cooperation_intent": self.cooperation_intent.data or "",
        }


class OrganisationForm(_StepButtons, OrganisationFields):
    def __init__(
        self,
        *args: Any,
        municipalities: list[tuple[str, str]],
        organisation_id: uuid.UUID | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality_id.choices = [("", _l("Vælg kommune")), *municipalities]
        self._organisation_id = organisation_id

    def validate_cvr(self, field: Any) -> None:
        problem = onboarding.cvr_problem(field.data or "", excluding=self._organisation_id)
        if problem:
            raise ValidationError(str(problem))


# --- step 3: documents ----------------------------------------------------------------------


class DocumentsForm(_StepButtons, PortalForm):
    """One file input per required document; each may be left empty once it is uploaded."""

    statutes = FileField(onboarding.REQUIRED_DOCUMENTS["statutes"])
    annual_report = FileField(onboarding.REQUIRED_DOCUMENTS["annual_report"])

    PURPOSES = ("statutes", "annual_report")
    MISSING = {
        "statutes": _l("Vælg en fil med organisationens vedtægter."),
        "annual_report": _l("Vælg en fil med den seneste årsrapport eller det seneste regnskab."),
    }

    def __init__(self, *args: Any, uploaded: set[str], max_mb: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._uploaded = uploaded
        for purpose in self.PURPOSES:
            self[purpose].description = _l(
                "Formater: %(formats)s. Højst %(mb)d MB.",
                formats=documents.accepted_formats(purpose),
                mb=max_mb,
            )
            # Required until uploaded (so not marked "frivilligt"); afterwards a newer one may be added.
            self[purpose].flags.required = purpose not in uploaded

    def chosen(self) -> dict[str, Any]:
        """The files picked in this submission, by purpose."""
        return {
            purpose: self[purpose].data
            for purpose in self.PURPOSES
            if self[purpose].data is not None and getattr(self[purpose].data, "filename", "")
        }

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        chosen = self.chosen()
        going_on = self.save_continue.data or not self.save_close.data
        for purpose in self.PURPOSES:
            if purpose in chosen:
                # Checked here too, so every problem of the submission shows at once.
                try:
                    documents.validate(chosen[purpose], purpose)
                except documents.UploadError as error:
                    self[purpose].errors = [*self[purpose].errors, str(error.message)]
                    valid = False
                finally:
                    chosen[purpose].stream.seek(0)
            elif going_on and purpose not in self._uploaded:
                # Going on needs both documents: uploaded before, or chosen now.
                self[purpose].errors = [*self[purpose].errors, self.MISSING[purpose]]
                valid = False
        return valid


# --- step 4: terms --------------------------------------------------------------------------


class TermsForm(_StepButtons, PortalForm):
    """A checkbox per version of the terms not yet accepted; built by ``terms_form``."""

    versions: dict[str, TermsVersion] = {}

    def ticked(self) -> list[TermsVersion]:
        return [version for name, version in self.versions.items() if self[name].data]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.save_continue.data or not self.save_close.data:
            for name, version in self.versions.items():
                if not self[name].data:
                    self[name].errors = [
                        *self[name].errors,
                        _l(
                            "Sæt kryds, hvis I accepterer \u201d%(title)s\u201d. Ansøgningen kan ikke sendes uden.",
                            title=_title(version),
                        ),
                    ]
                    valid = False
        return valid


def _title(version: TermsVersion) -> str:
    language = str(get_locale() or "da").split("_")[0]
    return version.title_en if language == "en" else version.title_da


def terms_form(open_versions: list[TermsVersion], **kwargs: Any) -> TermsForm:
    """A TermsForm with one checkbox for each version still to accept."""
    fields: dict[str, Any] = {}
    versions: dict[str, TermsVersion] = {}
    for version in open_versions:
        name = f"accept_{version.id.hex}"
        versions[name] = version
        fields[name] = BooleanField(
            _l(
                "Vi har læst og accepterer \u201d%(title)s\u201d, version %(version)s.",
                title=_title(version),
                version=version.version,
            )
        )
    form_class = type("BoundTermsForm", (TermsForm,), {**fields, "versions": versions})
    return form_class(**kwargs)


# --- step 5: send ---------------------------------------------------------------------------


class _VersionMixin:
    """The organisation's version as the user saw it: acting on an old one changes nothing."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def show_version(self, version: int) -> None:
        """Render ``version`` (a number field renders what was posted, unless told otherwise)."""
        self.version.data = version  # type: ignore[attr-defined]
        self.version.raw_data = [str(version)]  # type: ignore[attr-defined]


class SubmitForm(_VersionMixin, PortalForm):
    pass


# --- after sending: answering a request for more information --------------------------------


class AnswerForm(_VersionMixin, PortalForm):
    text = TextAreaField(
        _l("Jeres svar"),
        validators=[
            required(_l("Skriv jeres svar til områdekontoret.")),
            Length(max=TEXT_MAX, message=_l("Skriv højst %(max)d tegn.", max=TEXT_MAX)),
        ],
        render_kw={"rows": 6},
    )
    file = FileField(_l("Vedhæft et dokument"))

    def __init__(self, *args: Any, max_mb: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file.description = _l(
            "Fx et nyere regnskab. Formater: %(formats)s. Højst %(mb)d MB.",
            formats=documents.accepted_formats("attachment"),
            mb=max_mb,
        )

    def chosen_file(self) -> Any | None:
        data = self.file.data
        return data if data is not None and getattr(data, "filename", "") else None
