"""Forms of the organisation's volunteer pages: register, import, preparation, renewal, filters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from portal.forms import PortalForm, email_field, name_field, required, strip
from portal.labels import label
from portal.services import volunteers
from portal.services.volunteer_status import VolunteerStatus, today
from portal.services.volunteers import NewVolunteer

LANGUAGE_CHOICES = [("da", _l("Dansk")), ("en", _l("Engelsk"))]
TOO_LONG = _l("Skriv højst %(max)d tegn.")


def _language_field() -> RadioField:
    return RadioField(
        _l("Sprog i invitationen"),
        choices=LANGUAGE_CHOICES,
        default="da",
        validators=[required(_l("Vælg sproget i invitationen."))],
        description=_l("Erklæringerne kan læses og underskrives på dansk og engelsk."),
    )


class VolunteerForm(PortalForm):
    """Register one volunteer."""

    name = name_field(_l("Navn"), missing=_l("Skriv den frivilliges navn."), own=False)
    email = email_field(
        missing=_l("Skriv den frivilliges e-mailadresse."),
        own=False,
    )
    phone = StringField(
        _l("Telefon"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message=TOO_LONG),
            Regexp(
                r"^\+?[0-9][0-9 ()-]{6,}$", message=_l("Skriv et telefonnummer, fx 12 34 56 78.")
            ),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    birth_date = DateField(
        _l("Fødselsdato"),
        validators=[required(_l("Skriv den frivilliges fødselsdato."))],
        description=_l(
            "Den frivillige skal skrive sin fødselsdato, når linket i e-mailen åbnes. Sammen med linket beviser den, at det er den rigtige person, når der ikke logges ind med MitID."
        ),
    )
    visiting_friend = BooleanField(
        _l("Besøgsven"),
        description=_l(
            "Sæt kryds, hvis den frivillige skal besøge indsatte som besøgsven. Så underskriver den frivillige også besøgsvennens erklæring."
        ),
    )
    language = _language_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email.description = _l(
            "Invitationen sendes hertil. En e-mailadresse kan kun registreres én gang i organisationen."
        )

    def validate_birth_date(self, field: DateField) -> None:
        problem = volunteers.birth_date_problem(field.data)
        if problem is not None:
            raise ValidationError(str(problem))

    def values(self) -> NewVolunteer:
        return NewVolunteer(
            name=self.name.data or "",
            email=self.email.data or "",
            birth_date=self.birth_date.data,
            phone=self.phone.data or "",
            visiting_friend=bool(self.visiting_friend.data),
            language=self.language.data or "da",
        )


class ImportForm(PortalForm):
    file = FileField(
        _l("CSV-fil med frivillige"),
        validators=[FileRequired(message=_l("Vælg en CSV-fil."))],
        description=_l(
            "Højst 50 frivillige. Kolonnerne navn, email, telefon, foedselsdato og besoegsven, adskilt af semikolon eller komma."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
    language = _language_field()


class PreparationForm(PortalForm):
    prepared_on = DateField(
        _l("Dato for forberedelsen"),
        validators=[required(_l("Skriv datoen for forberedelsen."))],
    )
    material = TextAreaField(
        _l("Materiale eller kursus"),
        filters=[strip],
        validators=[
            required(
                _l("Skriv, hvilket materiale eller kursus den frivillige blev forberedt med.")
            ),
            Length(max=2000, message=TOO_LONG),
        ],
        description=_l(
            "Fx \u201dIntromøde om sikkerhedsregler og tavshedspligt\u201d eller navnet på jeres kursus eller materiale."
        ),
        render_kw={"rows": 3},
    )
    prepared_by = StringField(
        _l("Forberedt af"),
        filters=[strip],
        validators=[
            required(_l("Skriv, hvem der forberedte den frivillige.")),
            Length(max=200, message=TOO_LONG),
        ],
        description=_l("Navnet på den, der stod for forberedelsen."),
        render_kw={"autocomplete": "off"},
    )

    def validate_prepared_on(self, field: DateField) -> None:
        if field.data and field.data > today():
            raise ValidationError(str(_l("Datoen kan ikke ligge i fremtiden.")))


class RenewForm(PortalForm):
    """Renewal; for a volunteer who withdrew consent, the organisation confirms they asked."""

    on_request = BooleanField(_l("Den frivillige har selv bedt om at komme tilbage"))


class ConfirmForm(PortalForm):
    """A button that changes something: only the CSRF token."""


class FilterForm(PortalForm):
    """The list's search and status filter (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Søg efter navn eller e-mail"), filters=[strip], validators=[Optional(), Length(max=100)]
    )
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            ("", _l("Alle")),
            *((status.value, label(status)) for status in VolunteerStatus),
        ]

    def filters(self) -> tuple[str, VolunteerStatus | None]:
        """The search and the status; an invalid value counts as no filter."""
        self.validate()
        search = "" if self.q.errors else (self.q.data or "")
        status = self.status.data
        if self.status.errors or status not in {s.value for s in VolunteerStatus}:
            return search, None
        return search, VolunteerStatus(status)
