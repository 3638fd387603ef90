"""A push service on 127.0.0.1 for the tests: checks VAPID and decrypts like a browser would.

It hands out browser-like subscriptions (a P-256 ECDH key pair and a 16-byte auth
secret per endpoint), and for each POST it

- checks the VAPID ``Authorization: vapid t=<JWT>, k=<public key>`` header (RFC 8292):
  an ES256 signature made with that key, ``aud`` = this service's origin, ``exp`` in the
  future and at most 24 hours away, ``sub`` = the expected subject;
- checks ``TTL`` and ``Content-Encoding: aes128gcm`` (whose body carries the sender's
  key, so no ``Crypto-Key: dh=`` header);
- decrypts the body with the subscription's private key (RFC 8291, ``http_ece``);

then answers ``201`` (or what a test asked for), recording each message. A message that
fails a check is answered ``400`` and recorded with the reason.
"""
import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """What a browser keeps for one subscription: it alone can decrypt."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass
class Message:
    path: str
    headers: dict
    claims: dict | None = None
    payload: dict | None = None
    error: str = ""


@dataclass
class FakePushService:
    expected_subject: str
    expected_public_key: str | None = None  # the app's VAPID key, when the test knows it
    messages: list[Message] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)
    answers: list[tuple[int, dict]] = field(default_factory=list)  # for the next messages
    fixed: dict[str, tuple[int, dict]] = field(default_factory=dict)  # per endpoint path

    def start(self) -> "FakePushService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers = service.receive(self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests use ---

    def subscribe(self) -> dict:
        """A new browser-like subscription, as PushSubscription.toJSON() gives it."""
        device_id = b64url(os.urandom(12))
        device = Device(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.devices[f"/push/{device_id}"] = device
        return {"endpoint": f"{self.origin}/push/{device_id}",
                "keys": {"p256dh": device.p256dh, "auth": b64url(device.auth_secret)}}

    def answer(self, status: int, endpoint: str | None = None, **headers) -> None:
        """Answer the next message (or every one to ``endpoint``) with ``status``.

        Messages are checked and decrypted all the same.
        """
        if endpoint is None:
            self.answers.append((status, headers))
        else:
            self.fixed[urlsplit(endpoint).path] = (status, headers)

    @property
    def payloads(self) -> list[dict]:
        return [m.payload for m in self.messages if not m.error]

    @property
    def errors(self) -> list[str]:
        return [m.error for m in self.messages if m.error]

    # --- the checks ---

    def receive(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        message = Message(path, headers)
        self.messages.append(message)
        try:
            message.claims = self.check_vapid(headers.get("authorization", ""))
            self.check_headers(headers)
            device = self.devices.get(path)
            if device is None:
                return 404, {}
            plain = http_ece.decrypt(body, private_key=device.private_key,
                                     auth_secret=device.auth_secret, version="aes128gcm")
            message.payload = json.loads(plain)
        except (AssertionError, ValueError, KeyError, InvalidSignature) as error:
            message.error = f"{type(error).__name__}: {error}"
            return 400, {}
        if path in self.fixed:
            return self.fixed[path]
        return self.answers.pop(0) if self.answers else (201, {})

    def check_vapid(self, authorization: str) -> dict:
        scheme, _, params = authorization.partition(" ")
        assert scheme.lower() == "vapid", f"Authorization scheme is {scheme!r}"
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        if self.expected_public_key:
            assert key == self.expected_public_key, "k is not the app's VAPID public key"
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        signing_input, _, signature = token.rpartition(".")
        raw = unb64url(signature)
        assert len(raw) == 64, "an ES256 JWT signature is r || s, 64 bytes"
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                   int.from_bytes(raw[32:], "big"))
        public_key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        header_part, claims_part = signing_input.split(".")
        header = json.loads(unb64url(header_part))
        claims = json.loads(unb64url(claims_part))
        assert header["alg"] == "ES256", header
        assert claims["aud"] == self.origin, claims
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
        assert claims["sub"] == self.expected_subject, claims
        return claims

    def check_headers(self, headers: dict) -> None:
        assert int(headers["ttl"]) >= 0, headers
        assert headers.get("content-encoding") == "aes128gcm", headers
        assert "dh=" not in headers.get("crypto-key", ""), "aes128gcm carries the key in the body"
