"""Errors a user can cause. The CLI prints each as one line and exits 2."""

from __future__ import annotations


class SeawallError(Exception):
    """A user-facing error: bad input, unreachable service, malformed rule.

    The message is one line that says what went wrong and where.
    """


class InputError(SeawallError):
    """An input file, image, reference or document is missing or malformed."""


class ServiceError(SeawallError):
    """A remote service (registry, cloud API) refused or failed."""
