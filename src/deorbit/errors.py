"""Exceptions that the CLI turns into one-line messages and exit codes.

Every error raised for bad input names *what* is wrong and *where*: the file, the line and the
field when there is one.  The CLI prints ``str(error)`` and exits with :attr:`exit_code`
(2 for usage and input errors), never a traceback.
"""

from __future__ import annotations


class DeorbitError(Exception):
    """Base class for errors deorbit reports to the user."""

    exit_code: int = 1


class InputError(DeorbitError):
    """Bad input: a malformed file, an impossible value, an unknown object (exit status 2)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ElementSetError(InputError):
    """A malformed or physically impossible element set."""


class UnknownObjectError(InputError):
    """An object name or number that no source knows (or nothing cached while offline)."""


class FetchError(DeorbitError):
    """A network fetch failed (timeout, HTTP error, garbage response); the cache is untouched."""

    exit_code = 2
