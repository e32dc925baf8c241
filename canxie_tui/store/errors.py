"""Errors the store raises; each carries a Chinese message fit to show a user."""

from __future__ import annotations

from canxie_tui.domain.errors import CanxieError, InputError

ValidationError = InputError  # input refused; raised by the store as by the domain

__all__ = [
    "BusyError",
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


class BusyError(StoreError):
    """Another connection held the write lock past the busy timeout; nothing was written."""

    def __init__(self, doing: str | None) -> None:
        what = f"正在{doing}" if doing else "正被另一个操作（如导入花名册、合并月报）写入"
        super().__init__(
            f"数据库{what}，等了一会儿仍未结束，这次没有保存。您填写的内容还在，"
            "请等它完成后再保存一次。"
        )
        self.doing = doing
