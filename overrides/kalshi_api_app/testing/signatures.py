"""Checking Kalshi's request signatures the way the exchange does: RSA-PSS (SHA-256, digest-length salt)
over ``timestamp_ms + METHOD + path`` (no query), a recent timestamp, and the API key the fake knows."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api_core.auth import (
    ACCESS_KEY_HEADER,
    ACCESS_SIGNATURE_HEADER,
    ACCESS_TIMESTAMP_HEADER,
    SIGNATURE_PADDING,
    signed_message,
)
from kalshi_api_core.errors import ConfigurationError


class SignatureVerifier:
    """``failure(...)`` says why a request's signature is refused, or None when it is good."""

    def __init__(
        self, public_key: rsa.RSAPublicKey, key_id: str | None = None, window_seconds: float = 30.0
    ) -> None:
        self.public_key = public_key
        self.key_id = key_id  # None: any key id, as long as the signature verifies
        self.window_ms = window_seconds * 1000

    def failure(self, method: str, path: str, headers: Mapping[str, str]) -> str | None:
        """``headers`` with lower-case names; ``path`` may carry a query string (it is not signed)."""
        key = headers.get(ACCESS_KEY_HEADER.lower())
        stamp = headers.get(ACCESS_TIMESTAMP_HEADER.lower())
        signature = headers.get(ACCESS_SIGNATURE_HEADER.lower())
        if not key or not stamp or not signature:
            return f"missing {ACCESS_KEY_HEADER}, {ACCESS_TIMESTAMP_HEADER} or {ACCESS_SIGNATURE_HEADER}"
        if self.key_id is not None and key != self.key_id:
            return f"unknown API key {key!r}"
        if not stamp.isdigit():
            return f"{ACCESS_TIMESTAMP_HEADER} must be milliseconds since the epoch, got {stamp!r}"
        if abs(int(stamp) - time.time() * 1000) > self.window_ms:
            return f"{ACCESS_TIMESTAMP_HEADER} {stamp} is too far from the exchange's clock"
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return f"{ACCESS_SIGNATURE_HEADER} is not base64"
        try:
            message = signed_message(method, path, int(stamp))
            self.public_key.verify(raw, message, SIGNATURE_PADDING, hashes.SHA256())
        except ConfigurationError as exc:  # a request line no client could have signed
            return str(exc)
        except InvalidSignature:
            return "the signature does not verify with the exchange's public key"
        return None
