"""Typed readers for settings taken from the environment.

They fail fast: a value that cannot mean what the setting needs stops start-up
with a message naming the variable, instead of running with a silent default.
"""

from __future__ import annotations

import os
from typing import overload

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ImproperlyConfiguredEnv(RuntimeError):
    pass


@overload
def envstr(name: str) -> str | None: ...
@overload
def envstr(name: str, default: str) -> str: ...
def envstr(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def envrequired(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfiguredEnv(
            f"{name} must be set when DEBUG is false (for local development set DEBUG=true)"
        )
    return value


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={number} must be at least {minimum}")
    return number


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]
