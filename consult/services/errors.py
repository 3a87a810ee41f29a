"""Typed errors raised by services; views turn them into pages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``message`` is safe to show to the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """The thing asked for does not exist (or the actor may not know it exists)."""


class Forbidden(ServiceError):
    """The actor may not do this."""


class Conflict(ServiceError):
    """Someone else changed the thing first, or it already exists."""


class InvalidState(ServiceError):
    """The thing is not in a state that allows this."""
