"""The form of the DPO's own fields of the record of processing."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.form_fields import DayField
from portal.forms import PortalForm, required, strip
from portal.models import ProcessingRecordSettings
from portal.services.processing_record import SettingsValues, settings_version

TOO_LONG = _l("Skriv højst %(max)d tegn.")
TEXT_MAX = 10000
MISSING_VERSION = _l("Siden mangler oplysninger om, hvad du så. Genindlæs siden, og prøv igen.")


class RecordSettingsForm(PortalForm):
    controller_name = StringField(
        _l("Den dataansvarlige myndighed"),
        filters=[strip],
        validators=[
            required(_l("Skriv navnet på den dataansvarlige myndighed.")),
            Length(max=200, message=TOO_LONG),
        ],
        render_kw={"autocomplete": "organization"},
    )
    controller_address = TextAreaField(
        _l("Adresse"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        render_kw={"rows": 3, "autocomplete": "street-address"},
    )
    controller_contact = TextAreaField(
        _l("Kontaktoplysninger"),
        description=_l("Den dataansvarliges hovednummer, e-mail og evt. sikker post."),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        render_kw={"rows": 2},
    )
    dpo_name = StringField(
        _l("Databeskyttelsesrådgiverens navn"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
        render_kw={"autocomplete": "off"},
    )
    dpo_email = EmailField(
        _l("Databeskyttelsesrådgiverens e-mail"),
        filters=[strip],
        validators=[
            Optional(),
            Email(
                message=_l("Skriv en gyldig e-mailadresse, fx dpo@eksempel.dk."),
                check_deliverability=False,
            ),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    dpo_phone = StringField(
        _l("Databeskyttelsesrådgiverens telefon"),
        filters=[strip],
        validators=[Optional(), Length(max=40, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    security_measures = TextAreaField(
        _l("Tekniske og organisatoriske sikkerhedsforanstaltninger"),
        description=_l(
            "En generel beskrivelse (artikel 30, stk. 1, litra g). Teksten er udfyldt med det, portalen selv gør; tilføj fx fysisk sikring, driftsleverandør og instrukser."
        ),
        filters=[strip],
        validators=[
            required(_l("Beskriv sikkerhedsforanstaltningerne.")),
            Length(max=TEXT_MAX, message=TOO_LONG),
        ],
        render_kw={"rows": 10},
    )
    transfers = TextAreaField(
        _l("Overførsel til tredjelande eller internationale organisationer"),
        description=_l(
            "Skriv \u201dIngen overførsel til tredjelande\u201d, hvis oplysningerne ikke overføres."
        ),
        filters=[strip],
        validators=[
            required(_l("Skriv, om oplysningerne overføres til tredjelande.")),
            Length(max=TEXT_MAX, message=TOO_LONG),
        ],
        render_kw={"rows": 3},
    )
    last_reviewed_on = DayField(
        _l("Sidst gennemgået"),
        description=_l("Datoen, hvor fortegnelsen sidst blev gennemgået, fx 12.03.2027."),
        validators=[Optional()],
    )
    version = IntegerField(
        _l("Version"), widget=HiddenInput(), validators=[InputRequired(MISSING_VERSION)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The macros render it as a bare hidden input, without a link in the error summary.
        self.version.type = "HiddenField"

    @classmethod
    def from_settings(cls, settings: ProcessingRecordSettings) -> RecordSettingsForm:
        return cls(
            formdata=None,
            data={
                "controller_name": settings.controller_name,
                "controller_address": settings.controller_address,
                "controller_contact": settings.controller_contact,
                "dpo_name": settings.dpo_name,
                "dpo_email": settings.dpo_email,
                "dpo_phone": settings.dpo_phone,
                "security_measures": settings.security_measures,
                "transfers": settings.transfers,
                "last_reviewed_on": settings.last_reviewed_on,
                "version": settings_version(settings),
            },
        )

    def values(self) -> SettingsValues:
        return SettingsValues(
            controller_name=self.controller_name.data or "",
            controller_address=self.controller_address.data or "",
            controller_contact=self.controller_contact.data or "",
            dpo_name=self.dpo_name.data or "",
            dpo_email=(self.dpo_email.data or "").lower(),
            dpo_phone=self.dpo_phone.data or "",
            security_measures=self.security_measures.data or "",
            transfers=self.transfers.data or "",
            last_reviewed_on=self.last_reviewed_on.data,
        )
