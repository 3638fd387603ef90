"""Slugs (pure): the readable part of a URL-safe name made from what a person typed."""
import re
import unicodedata

SLUG_BASE_MAX = 50


def slug_base(name: str, fallback: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Cat / Cow Stretch!" -> "cat-cow-stretch"),
    at most SLUG_BASE_MAX characters; ``fallback`` when nothing of the name is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_BASE_MAX] or fallback
