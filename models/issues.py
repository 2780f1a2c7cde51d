"""Problems found in a value or a record, each with a French message for the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Severity = Literal["erreur", "avertissement"]
SEVERITIES: tuple[str, ...] = get_args(Severity)


@dataclass(frozen=True)
class Issue:
    """One problem: the field it concerns, the value as given, and why (in French).

    ``erreur`` means the record cannot be saved as it is; ``avertissement`` means it was saved
    and the value was corrected or set aside (the message says which).
    """

    field: str | None
    value: str | None
    message: str
    severity: Severity = "erreur"

    @property
    def is_error(self) -> bool:
        return self.severity == "erreur"
