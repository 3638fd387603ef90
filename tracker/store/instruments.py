"""The instruments a clinic offers: the built-ins plus its definition files.

A clinic licensed for another questionnaire (the Oswestry Disability Index, say) puts its
definition, one JSON object in the shape ``tracker.domain.instruments`` documents, in a
``*.json`` file in ``<instance>/instruments/``. :func:`load` reads every such file with
``Instrument.from_dict``. A file that is not valid JSON or not a valid definition is
skipped, its error logged and returned; so is one whose id is a built-in's or an earlier
file's (files are read in name order). Nothing here crashes on a clinic's file.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from tracker.domain.instruments import BUILT_IN, Instrument, InstrumentError

log = logging.getLogger(__name__)

FOLDER = "instruments"  # under the app's instance path
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Catalogue:
    instruments: Mapping[str, Instrument]  # by id: the built-ins, then the files'
    errors: tuple[str, ...]  # one line per file skipped: "name.json: what is wrong"

    def get(self, instrument_id: str) -> Instrument | None:
        return self.instruments.get(instrument_id)


def _read(path: Path) -> Instrument:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return Instrument.from_dict(data)


def load(folder: Path | str | None) -> Catalogue:
    """The built-ins plus every valid ``*.json`` definition in ``folder`` (None, or a
    folder that does not exist: the built-ins only)."""
    found: dict[str, Instrument] = dict(BUILT_IN)
    errors: list[str] = []
    folder = None if folder is None else Path(folder)
    paths = sorted(folder.glob("*.json")) if folder is not None and folder.is_dir() else []
    for path in paths:
        try:
            instrument = _read(path)
        except (OSError, ValueError) as exc:  # InstrumentError is a ValueError
            reason = str(exc) if isinstance(exc, InstrumentError | ValueError) else repr(exc)
            errors.append(f"{path.name}: {reason}")
            continue
        if instrument.id in BUILT_IN:
            errors.append(f"{path.name}: the id {instrument.id!r} is a built-in instrument's")
        elif instrument.id in found:
            errors.append(f"{path.name}: the id {instrument.id!r} is already defined by "
                          "an earlier file")
        else:
            found[instrument.id] = instrument
    for error in errors:
        log.warning("instrument definition skipped: %s", error)
    return Catalogue(MappingProxyType(found), tuple(errors))


def instance_folder(instance_path: Path | str) -> Path:
    """Where the definition files are, given the app's instance path."""
    return Path(instance_path) / FOLDER
