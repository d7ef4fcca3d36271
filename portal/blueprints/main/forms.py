from portal.forms import PortalForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from portal.extensions import LANGUAGES


class LanguageForm(PortalForm):
    language = SelectField(choices=list(LANGUAGES), validators=[DataRequired()])
    next = HiddenField()
