"""One package per area of the portal; each has ``routes.py`` and ``forms.py``."""
