from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from portal.extensions import LANGUAGES


class LanguageForm(FlaskForm):
    language = SelectField(choices=list(LANGUAGES), validators=[DataRequired()])
    next = HiddenField()
