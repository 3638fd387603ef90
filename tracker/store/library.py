"""The technique library's writes: a therapist's own techniques, under unique slugs."""
import secrets

from peewee import IntegrityError

from tracker.domain.slugs import slug_base
from tracker.store.db import database
from tracker.store.models import Technique, TechniquePhoto

SLUG_ATTEMPTS = 5


def create_owned(values: dict, owner) -> Technique:
    """Store a therapist's technique under its name's slug made unique by a random suffix."""
    base = slug_base(values["name"], "technique")
    for _attempt in range(SLUG_ATTEMPTS):
        try:
            with database.atomic():
                return Technique.create(slug=f"{base}-{secrets.token_hex(4)}", owner=owner,
                                        **values)
        except IntegrityError:
            continue  # a suffix collision: vanishingly rare, so simply draw again
    raise RuntimeError("could not find a free slug")


def copy_of(original: Technique, owner, name: str) -> Technique:
    """An owned copy of any technique, under a new name."""
    fields = ("kind", "body_area", "summary", "instructions", "dose", "cautions")
    values = {field: getattr(original, field) for field in fields}
    return create_owned({**values, "name": name}, owner)


def change(technique: Technique, values: dict) -> None:
    """Save new values for one of a therapist's techniques (its slug stays: links last)."""
    Technique.update(**values).where(Technique.id == technique.id).execute()


def delete(technique: Technique) -> None:
    """Delete one of a therapist's techniques and its photos, together."""
    with database.atomic():
        TechniquePhoto.delete().where(TechniquePhoto.technique == technique).execute()
        Technique.delete().where(Technique.id == technique.id).execute()
