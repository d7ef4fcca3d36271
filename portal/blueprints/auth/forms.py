from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField
from wtforms.validators import EqualTo

from portal.extensions import LANGUAGES
from portal.forms import PortalForm, email_field, name_field, new_password_field, required


class LoginForm(PortalForm):
    email = email_field()
    password = PasswordField(
        _l("Adgangskode"),
        validators=[required(_l("Skriv din adgangskode."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(PortalForm):
    email = email_field()


class ResetPasswordForm(PortalForm):
    password = new_password_field()
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[
            required(_l("Gentag adgangskoden.")),
            EqualTo("password", message=_l("De to adgangskoder er ikke ens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInvitationForm(ResetPasswordForm):
    name = name_field()


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Nuværende adgangskode"),
        validators=[required(_l("Skriv din nuværende adgangskode."))],
        render_kw={"autocomplete": "current-password"},
    )


class PreferencesForm(PortalForm):
    language = SelectField(_l("Sprog i portalen og i e-mails"), choices=list(LANGUAGES))
