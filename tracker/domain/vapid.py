"""VAPID keys (RFC 8292) as text: a P-256 private key read from PEM or base64url, written
as PEM, and its public key as browsers take it.

Pure. The app's key pair (from the settings, or generated once into the instance folder)
is set up by tracker.config.init_vapid; tracker.jobs.push signs with it.
"""
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or URL-safe base64 of the raw 32 bytes or of DER.

    Raw base64url is what ``npx web-push generate-vapid-keys`` and ``vapid --gen`` print.
    """
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as error:
        raise ValueError(f"VAPID_PRIVATE_KEY is not a readable key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
    return key


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The uncompressed public point (65 bytes, 0x04 first) as URL-safe base64."""
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(point)


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """URL-safe base64 with or without padding; ValueError if it isn't."""
    text = text.strip().rstrip("=")
    if not text or not _B64URL.issuperset(text):
        raise ValueError("not URL-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
