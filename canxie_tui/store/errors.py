"""Errors the store raises; each carries a Chinese message fit to show a user."""

from __future__ import annotations

from canxie_tui.domain.errors import CanxieError, InputError

ValidationError = InputError  # input refused; raised by the store as by the domain

__all__ = [
    "CanxieError",
    "DuplicateError",
    "NotFoundError",
    "StaleEditError",
    "StoreError",
    "ValidationError",
]


class StoreError(CanxieError):
    """Something the user must be told about; `message` is Chinese and complete."""


class StaleEditError(StoreError):
    """The record changed since the editor opened it; nothing was written."""

    def __init__(self, message: str, changed_fields: list[str]) -> None:
        super().__init__(message)
        self.changed_fields = changed_fields


class DuplicateError(StoreError):
    """A person with the same ID number exists; `existing_id` lets the UI offer it."""

    def __init__(self, message: str, existing_id: str, household_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id
        self.household_id = household_id


class NotFoundError(StoreError):
    pass
