"""Privacy declarations kept next to the data they describe.

Every model holding personal data sets ``__privacy__`` to a ``PrivacyDeclaration``. The record
of processing (GDPR Art. 30) and the retention job are built from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PrivacyDeclaration:
    activity: str
    purpose: str
    legal_basis: str
    data_categories: tuple[str, ...]
    subject_categories: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: str
    columns: tuple[str, ...] = field(default_factory=tuple)
    special_basis: str | None = None
