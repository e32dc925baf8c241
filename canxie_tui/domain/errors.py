"""The base of every error a user may see: a complete Chinese message."""

from __future__ import annotations


class CanxieError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(CanxieError):
    """Bad input; `field` names the form field (or column) at fault, "" for the whole form."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
