"""Errors the store raises; each carries a Chinese message fit to show a user."""

from __future__ import annotations

import errno
import sqlite3

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


_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
DISK_FULL = (
    "磁盘空间已满，无法写入{where}。这次操作没有完成，也没有留下不完整的文件；请清理磁盘后再试。"
)


def is_disk_full(error: OSError) -> bool:
    return error.errno in _FULL


def explain(error: BaseException) -> str | None:
    """One Chinese line for the low-level errors a user can act on (a full disk, a file
    they may not write, a database another program holds); None for anything else."""
    if isinstance(error, OSError):
        where = f"“{error.filename}”" if error.filename else "文件"
        if is_disk_full(error):
            return DISK_FULL.format(where=where)
        if isinstance(error, PermissionError):
            return f"没有权限访问{where}。"
        return None
    if isinstance(error, sqlite3.Error):
        text = str(error)
        if "database or disk is full" in text:
            return DISK_FULL.format(where="数据库")
        if "disk I/O error" in text:
            return "读写数据库时磁盘出错（可能磁盘已满或U盘已拔出），这次操作没有完成。请检查磁盘后再试。"
        if "readonly" in text:
            return "数据库文件是只读的，无法写入。请检查文件权限。"
        if "locked" in text or "busy" in text:
            return "数据库正被另一个程序长时间占用，请稍后再试。"
    return None


class BusyError(StoreError):
    """Another connection held the write lock past the busy timeout; nothing was written."""

    def __init__(self, doing: str | None) -> None:
        what = f"正在{doing}" if doing else "正被另一个操作（如导入花名册、合并月报）写入"
        super().__init__(
            f"数据库{what}，等了一会儿仍未结束，这次没有保存。您填写的内容还在，"
            "请等它完成后再保存一次。"
        )
        self.doing = doing
