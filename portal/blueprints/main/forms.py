from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from portal.extensions import LANGUAGES
from portal.forms import PortalForm


class LanguageForm(PortalForm):
    language = SelectField(choices=list(LANGUAGES), validators=[DataRequired()])
    next = HiddenField()
