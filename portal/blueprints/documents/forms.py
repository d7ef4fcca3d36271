from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from portal.forms import PortalForm, required
from portal.services.documents import PURPOSES, accepted_formats


class UploadForm(PortalForm):
    purpose = SelectField(
        _l("Hvad er dokumentet?"), validators=[required(_l("Vælg, hvad dokumentet er."))]
    )
    description = StringField(
        _l("Kort beskrivelse"),
        validators=[Optional(), Length(max=300, message=_l("Skriv højst 300 tegn."))],
        description=_l("Fx \u201dVedtægter vedtaget på generalforsamlingen 2025\u201d."),
    )
    file = FileField(_l("Fil"), validators=[FileRequired(message=_l("Vælg en fil."))])

    def __init__(self, *args: Any, max_mb: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each choice names its formats, so the accepted formats are stated before the upload.
        self.purpose.choices = [
            ("", _l("Vælg")),
            *(
                (code, f"{purpose.label} ({accepted_formats(code)})")
                for code, purpose in PURPOSES.items()
            ),
        ]
        self.file.description = _l(
            "Formaterne står ved hver type ovenfor. Filen må højst være %(mb)d MB.", mb=max_mb
        )
