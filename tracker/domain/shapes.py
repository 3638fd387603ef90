"""Checking the shape of parsed JSON (an object's fields, a list) for the definitions read
from data: plan specs (plan_spec.py) and questionnaire definitions (instruments.py). Each
caller passes ``fail``, which raises its own coded error (SpecError, InstrumentError)."""
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

Fail = Callable[..., NoReturn]  # fail(code, **params) raises the caller's error


def fields(data: Any, allowed: Sequence[str], required: Sequence[str], fail: Fail,
           **context: Any) -> Mapping[str, Any]:
    """``data`` when it is an object with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(data, Mapping):
        fail("not_object", **context, got=type(data).__name__)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        fail("unknown_fields", fields=", ".join(unknown))
    missing = [k for k in required if k not in data]
    if missing:
        fail("missing_fields", fields=", ".join(missing))
    return data


def sequence(value: Any, name: str, fail: Fail) -> Sequence[Any]:
    """``value`` when it is a list (or tuple)."""
    if not isinstance(value, (list, tuple)):
        fail("not_list", name=name, got=type(value).__name__)
    return value
