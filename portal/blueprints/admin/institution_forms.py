"""The admin's forms for an institution: its details, a contact person and a section."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, Regexp

from portal.blueprints.admin.forms import NONE_CHOICE
from portal.blueprints.admin.forms import _options as options
from portal.forms import PortalForm, required, strip
from portal.labels import choices
from portal.models import AreaOffice, InstitutionKind, Municipality, SecurityLevel

# Digits with spaces, hyphens or brackets between them, and an optional + in front.
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,38}[0-9]$")


def _email_field(label: Any, hint: Any = None) -> StringField:
    return StringField(
        label,
        filters=[strip],
        description=hint,
        validators=[
            Optional(),
            Email(
                message=_l("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."),
                check_deliverability=False,
            ),
            Length(max=254, message=_l("E-mailadressen er for lang.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "email"},
    )


def _phone_field(label: Any, hint: Any = None) -> StringField:
    return StringField(
        label,
        filters=[strip],
        description=hint,
        validators=[
            Optional(),
            Regexp(
                PHONE,
                message=_l(
                    "Skriv telefonnummeret med cifre, fx 72 55 00 00 eller +45 72 55 00 00."
                ),
            ),
        ],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )


class InstitutionForm(PortalForm):
    """An institution and what an organisation needs to find and reach it."""

    name = StringField(
        _l("Navn"),
        filters=[strip],
        validators=[required(_l("Skriv institutionens navn.")), Length(max=200)],
        description=_l(
            "Fx \u201dStorstrøm Fængsel\u201d, \u201dOdense Arrest\u201d eller \u201dKiF Fyn\u201d."
        ),
    )
    kind = SelectField(_l("Type"), validators=[required(_l("Vælg institutionens type."))])
    security_level_id = SelectField(
        _l("Sikkerhedsniveau"), validators=[required(_l("Vælg sikkerhedsniveau."))]
    )
    area_office_id = SelectField(
        _l("Områdekontor"), validators=[required(_l("Vælg områdekontor."))]
    )
    municipality_id = SelectField(_l("Kommune"), validators=[Optional()])
    address = StringField(
        _l("Adresse"),
        filters=[strip],
        description=_l("Vej og husnummer, fx \u201dFængselsvej 1\u201d."),
        validators=[Optional(), Length(max=300, message=_l("Skriv højst %(max)d tegn.", max=300))],
        render_kw={"autocomplete": "off"},
    )
    postal_code = StringField(
        _l("Postnummer"),
        filters=[strip],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{4}$", message=_l("Skriv et postnummer med 4 cifre, fx 4760.")),
        ],
        render_kw={"autocomplete": "off", "inputmode": "numeric", "maxlength": 4},
    )
    city = StringField(
        _l("By"),
        filters=[strip],
        validators=[Optional(), Length(max=100, message=_l("Skriv højst %(max)d tegn.", max=100))],
        render_kw={"autocomplete": "off"},
    )
    phone = _phone_field(_l("Telefon"), _l("Det nummer, organisationerne ringer til."))
    email = _email_field(_l("E-mail"), _l("Fx en fælles postkasse for besøg og aktiviteter."))
    visiting_hours = TextAreaField(
        _l("Besøgstider"),
        filters=[strip],
        description=_l(
            "Som institutionen selv skriver dem, fx \u201dMandag-fredag 13-16, weekend 10-15\u201d. Én linje pr. tidsrum."
        ),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Skriv højst %(max)d tegn.", max=2000)),
        ],
        render_kw={"rows": 4},
    )
    active = BooleanField(_l("Aktiv (kan vælges til aktiviteter)"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [NONE_CHOICE, *choices(InstitutionKind)]
        self.security_level_id.choices = options(SecurityLevel, "name_da")
        self.area_office_id.choices = options(AreaOffice)
        self.municipality_id.choices = options(Municipality)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # A postal code and its town belong together; one without the other is half an address.
        # (Checked here: an empty optional field stops its own validators.)
        if self.postal_code.data and not self.city.data:
            self.city.errors.append(_l("Skriv byen, der hører til postnummeret."))
            ok = False
        if self.city.data and not self.postal_code.data:
            self.postal_code.errors.append(_l("Skriv postnummeret, der hører til byen."))
            ok = False
        return ok


class ContactForm(PortalForm):
    """A contact person at the institution (the page's add form uses the prefix "contact")."""

    name = StringField(
        _l("Navn"),
        filters=[strip],
        validators=[
            required(_l("Skriv kontaktpersonens navn.")),
            Length(max=200, message=_l("Navnet er for langt.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    title = StringField(
        _l("Funktion eller titel"),
        filters=[strip],
        description=_l("Fx \u201dBesøgskoordinator\u201d eller \u201dFængselsfunktionær\u201d."),
        validators=[Optional(), Length(max=200, message=_l("Skriv højst %(max)d tegn.", max=200))],
        render_kw={"autocomplete": "off"},
    )
    email = _email_field(_l("E-mail"))
    phone = _phone_field(_l("Telefon"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.email.errors.append(
                _l(
                    "Skriv en e-mailadresse eller et telefonnummer, så organisationerne kan nå personen."
                )
            )
            ok = False
        return ok


class SectionForm(PortalForm):
    """A section with its own security level (the page's add form uses the prefix "section")."""

    name = StringField(
        _l("Afdelingens navn"),
        filters=[strip],
        description=_l("Fx \u201dÅben afdeling\u201d eller \u201dLukket afdeling\u201d."),
        validators=[
            required(_l("Skriv afdelingens navn.")),
            Length(max=200, message=_l("Navnet er for langt.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    security_level_id = SelectField(
        _l("Afdelingens sikkerhedsniveau"),
        description=_l("Reglerne for dette niveau gælder for aktiviteter i afdelingen."),
        validators=[required(_l("Vælg afdelingens sikkerhedsniveau."))],
    )
    active = BooleanField(_l("Aktiv (kan vælges til nye aktiviteter)"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.security_level_id.choices = options(SecurityLevel, "name_da")
