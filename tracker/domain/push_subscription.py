"""Web push subscriptions from the browser, validated before they are stored. Pure.

The server POSTs to a subscription's endpoint, so only the push services' hosts are let
through (``PUSH_ENDPOINT_HOSTS``), and the keys must be what RFC 8291 encrypts with.
"""
import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from tracker.domain.vapid import b64url_decode


class InvalidSubscription(ValueError):
    """A subscription the app won't store; the message is shown to the user."""


_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ENDPOINT_MAX = 1000  # PushSubscription.endpoint's column


def valid_p256dh(text: str) -> bool:
    """True for a P-256 public point in uncompressed form, as browsers send it."""
    try:
        raw = b64url_decode(text)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return len(raw) == 65 and raw[0] == 4


def valid_auth(text: str) -> bool:
    """True for the 16-byte auth secret of RFC 8291."""
    try:
        return len(b64url_decode(text)) == 16
    except ValueError:
        return False


def parse_subscription(data: object, config: Mapping) -> dict:
    """``{endpoint, keys: {p256dh, auth}}`` from PushSubscription.toJSON(), checked."""
    if not isinstance(data, dict):
        raise InvalidSubscription("Send the subscription as a JSON object.")
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("The subscription has no endpoint.")
    check_endpoint(endpoint, config)
    if not isinstance(keys, dict):
        raise InvalidSubscription("The subscription has no keys.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or len(p256dh) > 200 or not valid_p256dh(p256dh):
        raise InvalidSubscription("The subscription's p256dh key is not a P-256 public key.")
    if not isinstance(auth, str) or len(auth) > 100 or not valid_auth(auth):
        raise InvalidSubscription("The subscription's auth secret is not 16 bytes.")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def check_endpoint(endpoint: str, config: Mapping) -> None:
    """Raise InvalidSubscription unless the server may POST to this push service URL."""
    if len(endpoint) > ENDPOINT_MAX or any(c.isspace() or not c.isprintable() for c in endpoint):
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.")
    parts = urlsplit(endpoint)
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.") from None
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.")
    scheme = parts.scheme.lower()
    local = config.get("PUSH_ALLOW_INSECURE_LOCALHOST") and host in _LOCAL_HOSTS
    if local and scheme in ("http", "https"):
        return
    if scheme != "https":
        raise InvalidSubscription("The subscription's endpoint must be an https URL.")
    if _is_ip(host) or host == "localhost" or host.endswith(".localhost"):
        raise InvalidSubscription("The subscription's endpoint must be a push service.")
    allowed = config.get("PUSH_ENDPOINT_HOSTS") or ()
    if allowed and not any(host == h or host.endswith("." + h) for h in allowed):
        raise InvalidSubscription(
            f"{host} is not a push service this app sends to. Please tell us which "
            "browser you use."
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
