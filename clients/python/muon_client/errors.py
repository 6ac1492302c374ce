"""The one error the client raises: the API's `detail` with the HTTP status, or a local problem."""
from __future__ import annotations

from typing import Any, Optional


class MuonError(Exception):
    """A request the API refused (`status` set, `detail` as the API sent it) or a local problem."""

    def __init__(self, message: str, status: Optional[int] = None, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class LocalFileError(MuonError):
    """A local file the call needs is missing or cannot be read (nothing was sent): a usage error."""
