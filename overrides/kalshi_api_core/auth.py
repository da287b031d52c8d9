"""Request signing for Kalshi API keys: RSA-PSS/SHA-256 over ``timestamp_ms + METHOD + path``.

Every failure to load or use a credential raises ``ConfigurationError`` with a message that says what is
wrong and never contains key material, PEM text or a password. Errors are raised outside the ``except``
block that detected them, so neither ``__cause__`` nor ``__context__`` carries a library exception along.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import NoReturn, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from kalshi_api_core.errors import ConfigurationError

__all__ = [
    "ACCESS_HEADER_PREFIX",
    "ACCESS_KEY_HEADER",
    "ACCESS_SIGNATURE_HEADER",
    "ACCESS_TIMESTAMP_HEADER",
    "ENV_KEY_ID",
    "ENV_PRIVATE_KEY",
    "ENV_PRIVATE_KEY_PASSPHRASE",
    "ENV_PRIVATE_KEY_PATH",
    "KalshiAuth",
    "Password",
]

ACCESS_KEY_HEADER = "KALSHI-ACCESS-KEY"
ACCESS_TIMESTAMP_HEADER = "KALSHI-ACCESS-TIMESTAMP"
ACCESS_SIGNATURE_HEADER = "KALSHI-ACCESS-SIGNATURE"
# Lower case so other modules can refuse caller-supplied signing headers with a case-insensitive check.
ACCESS_HEADER_PREFIX = "kalshi-access-"

ENV_KEY_ID = "KALSHI_KEY_ID"
ENV_PRIVATE_KEY_PATH = "KALSHI_PRIVATE_KEY_PATH"
ENV_PRIVATE_KEY = "KALSHI_PRIVATE_KEY"
ENV_PRIVATE_KEY_PASSPHRASE = "KALSHI_PRIVATE_KEY_PASSPHRASE"

# A password, or a zero-argument callable (e.g. a prompt) that is asked only when the key is encrypted.
Password: TypeAlias = str | bytes | Callable[[], str | bytes] | None

# Kalshi issues 2048-bit keys; anything smaller is weak (and below ~600 bits can't hold a PSS-32 signature).
MIN_KEY_BITS = 2048
# A key file is a few KiB; the cap stops a wrong path (a log, /dev/zero) from being read into memory.
_MAX_KEY_FILE_BYTES = 1 << 20

SIGNATURE_PADDING = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_ENCRYPTED_PEM_HEADER = re.compile(rb"^\s*Proc-Type:\s*4\s*,\s*ENCRYPTED\s*$", re.MULTILINE)
_HTTP_METHOD = re.compile(r"[A-Za-z]+")


def _fail(message: str) -> NoReturn:
    raise ConfigurationError(message)


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str):
        _fail(f"the API key id must be a str, got {type(key_id).__name__}")
    if not key_id:
        _fail("the API key id is empty")
    # It travels as a header value: whitespace or control characters would corrupt or split the header.
    if not (key_id.isascii() and key_id.isprintable()) or any(c.isspace() for c in key_id):
        _fail("the API key id contains whitespace, control or non-ASCII characters")
    return key_id


def _check_private_key(private_key: object) -> rsa.RSAPrivateKey:
    if isinstance(private_key, (str, bytes)):
        _fail("private_key must be a loaded RSAPrivateKey; use KalshiAuth.from_pem() for PEM text")
    if not isinstance(private_key, rsa.RSAPrivateKey):
        _fail(f"not an RSA key: expected an RSA private key, got {type(private_key).__name__}")
    if private_key.key_size < MIN_KEY_BITS:
        _fail(f"the RSA key is {private_key.key_size} bits; at least {MIN_KEY_BITS} are required")
    return private_key


def _normalize_password(password: str | bytes | None) -> bytes | None:
    if password is None:
        return None
    if isinstance(password, str):
        try:
            password = password.encode("utf-8")
        except UnicodeEncodeError:
            # The codec's message quotes the offending character, so it must not be chained or shown.
            password = None
        if password is None:
            _fail("the password is not valid text (it can't be encoded as UTF-8)")
    if not isinstance(password, bytes):
        _fail(f"the password must be str or bytes, got {type(password).__name__}")
    # No PEM cipher accepts an empty password, so treat it as "no password" (e.g. an empty env variable).
    return password or None


def _key_kind(key: object) -> str:
    # Names only the key's type: the key object itself must never reach a message.
    kinds: tuple[tuple[type, str], ...] = (
        (ec.EllipticCurvePrivateKey, "an EC"),
        (dsa.DSAPrivateKey, "a DSA"),
        (ed25519.Ed25519PrivateKey, "an Ed25519"),
        (ed448.Ed448PrivateKey, "an Ed448"),
    )
    for kind, name in kinds:
        if isinstance(key, kind):
            return f"{name} key"
    return f"a {type(key).__name__}"


def _find_private_key_block(data: bytes, where: str) -> tuple[bytes, bool]:
    """The first private-key PEM block, re-wrapped line by line, and whether it is encrypted."""
    # Env files often store the PEM on one line with literal "\n"; base64 never contains a backslash.
    data = data.replace(b"\\r\\n", b"\n").replace(b"\\n", b"\n")
    blocks = list(_PEM_BLOCK.finditer(data))
    for block in blocks:
        label = block.group(1)
        if not label.endswith(b"PRIVATE KEY"):
            continue
        if label == b"OPENSSH PRIVATE KEY":
            _fail(
                f"the private key{where} is in OpenSSH format; convert it to PEM "
                "(ssh-keygen -p -m PEM -f <file>) or use the key file Kalshi provided"
            )
        body = block.group(2)
        if b":" in body:
            # RFC 1421 headers (an encrypted traditional key): keep the line structure, blank line included.
            pem = b"\n".join(line.strip() for line in block.group(0).splitlines()) + b"\n"
        else:
            # Re-wrap the base64 so indented, CRLF or space-joined text (a pasted or env value) still parses.
            b64 = b"".join(body.split())
            wrapped = b"".join(b64[i : i + 64] + b"\n" for i in range(0, len(b64), 64))
            pem = b"-----BEGIN " + label + b"-----\n" + wrapped + b"-----END " + label + b"-----\n"
        encrypted = label == b"ENCRYPTED PRIVATE KEY" or bool(_ENCRYPTED_PEM_HEADER.search(body))
        return pem, encrypted
    labels = {block.group(1) for block in blocks}
    if any(b"PUBLIC KEY" in label for label in labels):
        _fail(f"not a PEM private key: the data{where} holds a public key; signing needs the private key")
    if any(b"CERTIFICATE" in label for label in labels):
        _fail(f"not a PEM private key: the data{where} holds a certificate; signing needs the private key")
    if b"-----BEGIN " in data:
        _fail(f"not a PEM private key: the PEM data{where} is malformed (missing or mismatched END line?)")
    _fail(
        f"not a PEM private key: the data{where} has no '-----BEGIN PRIVATE KEY-----' "
        "or '-----BEGIN RSA PRIVATE KEY-----' block"
    )


class KalshiAuth:
    """Signs requests for one API key.

    Immutable and thread-safe. ``repr`` shows at most four characters of the key id, and the object refuses
    to be pickled so the private key can't end up in a cache, queue or crash dump by accident.
    """

    __slots__ = ("_key_id", "_private_key")

    _key_id: str
    _private_key: rsa.RSAPrivateKey

    def __init__(self, key_id: str, private_key: rsa.RSAPrivateKey) -> None:
        self._key_id = _check_key_id(key_id)
        self._private_key = _check_private_key(private_key)

    @property
    def key_id(self) -> str:
        """The API key id sent as ``KALSHI-ACCESS-KEY``."""
        return self._key_id

    @classmethod
    def from_pem(cls, key_id: str, pem: str | bytes, password: Password = None) -> KalshiAuth:
        """Load a PKCS#8 or traditional (PKCS#1) PEM key, encrypted or not.

        ``password`` may be str (UTF-8), bytes, or a zero-argument callable returning either; the callable
        is called once, and only if the key is encrypted. A password for an unencrypted key is an error.
        """
        return cls._load(key_id, pem, password, where="", password_hint="pass password=...")

    @classmethod
    def from_path(cls, key_id: str, path: str | os.PathLike[str], password: Password = None) -> KalshiAuth:
        """Load the PEM key stored at ``path`` (``~`` is expanded); see ``from_pem`` for ``password``."""
        _check_key_id(key_id)  # before touching the file: the cheaper mistake is reported first
        data, shown = _read_key_file(path)
        return cls._load(key_id, data, password, where=f" in {shown}", password_hint="pass password=...")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KalshiAuth | None:
        """Credentials from ``KALSHI_KEY_ID`` plus ``KALSHI_PRIVATE_KEY_PATH`` or ``KALSHI_PRIVATE_KEY``.

        ``KALSHI_PRIVATE_KEY_PASSPHRASE`` decrypts an encrypted key. Empty variables count as unset. Returns
        None when no credential variable is set, so callers can fall back to an unauthenticated client.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            # Surrounding whitespace (a trailing newline from `cat key_id > .env`) is never meaningful here.
            value = (env.get(name) or "").strip()
            return value or None

        key_id, path, pem = get(ENV_KEY_ID), get(ENV_PRIVATE_KEY_PATH), get(ENV_PRIVATE_KEY)
        if key_id is None and path is None and pem is None:
            return None
        if path is not None and pem is not None:
            _fail(f"both {ENV_PRIVATE_KEY_PATH} and {ENV_PRIVATE_KEY} are set; set only one of them")
        if key_id is None:
            given = ENV_PRIVATE_KEY_PATH if path is not None else ENV_PRIVATE_KEY
            _fail(f"{given} is set but {ENV_KEY_ID} is not; set {ENV_KEY_ID} to the API key id")
        if path is None and pem is None:
            _fail(
                f"{ENV_KEY_ID} is set but no private key is: set {ENV_PRIVATE_KEY_PATH} to the key file "
                f"(or {ENV_PRIVATE_KEY} to the PEM text)"
            )
        # The passphrase is not stripped: spaces may be part of it.
        passphrase = env.get(ENV_PRIVATE_KEY_PASSPHRASE) or None
        hint = f"set {ENV_PRIVATE_KEY_PASSPHRASE}"
        if path is not None:
            _check_key_id(key_id)
            data, shown = _read_key_file(path, variable=ENV_PRIVATE_KEY_PATH)
            return cls._load(key_id, data, passphrase, where=f" in {shown}", password_hint=hint)
        assert pem is not None  # for mypy: the branches above leave exactly one source
        return cls._load(key_id, pem, passphrase, where=f" in {ENV_PRIVATE_KEY}", password_hint=hint)

    @classmethod
    def _load(
        cls, key_id: str, pem: str | bytes, password: Password, *, where: str, password_hint: str
    ) -> KalshiAuth:
        # Check the key id first: it's the cheapest mistake and needs no decryption to report.
        key_id = _check_key_id(key_id)
        if isinstance(pem, str):
            # PEM is ASCII; anything else (including lone surrogates) can't be a key.
            data = pem.encode("utf-8", errors="replace")
        elif isinstance(pem, bytes):
            data = pem
        else:
            _fail(f"the PEM private key must be str or bytes, got {type(pem).__name__}")
        block, encrypted = _find_private_key_block(data, where)

        secret: bytes | None
        if encrypted:
            # A callable is a prompt or secret-store lookup: ask it only now that a password is needed.
            secret = _normalize_password(password() if callable(password) else password)
            if secret is None:
                _fail(f"the private key{where} is encrypted: a password is required ({password_hint})")
        else:
            if password is not None and not callable(password) and _normalize_password(password) is not None:
                _fail(f"the private key{where} is not encrypted, but a password was given; drop the password")
            secret = None

        # Decide the message inside `except`, raise after it: the library's exception must not be chained.
        problem: str | None = None
        key: object = None
        try:
            key = serialization.load_pem_private_key(block, password=secret)
        except TypeError:
            # Our encryption check and the library disagree; report what the library found.
            problem = (
                f"the private key{where} is encrypted: a password is required ({password_hint})"
                if secret is None
                else f"the private key{where} is not encrypted, but a password was given; drop the password"
            )
        except UnsupportedAlgorithm:
            problem = f"the private key{where} uses an unsupported key type or cipher"
        except ValueError:
            problem = (
                f"could not decrypt the private key{where}: wrong password?"
                if encrypted
                else f"not a PEM private key: the key data{where} is malformed or of an unsupported type"
            )
        if problem is not None:
            _fail(problem)
        if not isinstance(key, rsa.RSAPrivateKey):
            _fail(f"not an RSA key: the private key{where} is {_key_kind(key)}; Kalshi keys are RSA")
        return cls(key_id, key)

    def sign(self, method: str, path: str, timestamp_ms: int) -> str:
        """Base64 RSA-PSS signature of ``f"{timestamp_ms}{METHOD}{path}"``; any ``?query`` is not signed."""
        message = signed_message(method, path, timestamp_ms)
        signature = self._private_key.sign(message, SIGNATURE_PADDING, hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def headers(self, method: str, path: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """The three ``KALSHI-ACCESS-*`` headers; the timestamp defaults to now."""
        if timestamp_ms is None:
            timestamp_ms = _now_ms()
        return {
            ACCESS_KEY_HEADER: self._key_id,
            ACCESS_TIMESTAMP_HEADER: str(timestamp_ms),
            ACCESS_SIGNATURE_HEADER: self.sign(method, path, timestamp_ms),
        }

    async def aheaders(self, method: str, path: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """``headers`` with the RSA operation in a worker thread, so the event loop keeps running."""
        # Validate on the loop so a bad argument fails without a thread hop.
        signed_message(method, path, 0 if timestamp_ms is None else timestamp_ms)
        # The default timestamp is taken in the worker, right before signing, so a busy thread pool
        # can't make it stale.
        return await asyncio.to_thread(self.headers, method, path, timestamp_ms)

    def __repr__(self) -> str:
        # Enough of the key id to tell keys apart in logs; short ids show at most half of themselves.
        shown = self._key_id[: min(4, len(self._key_id) // 2)]
        return f"KalshiAuth(key_id={shown + '…'!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        # Identity only: comparing keys would compare secrets, and two signers are never interchangeable
        # by value anyway.
        return self is other

    def __hash__(self) -> int:
        return object.__hash__(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("KalshiAuth holds a private key and cannot be pickled")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        # pickle and copyreg call __reduce_ex__ first; refuse there too.
        raise TypeError("KalshiAuth holds a private key and cannot be pickled")

    def __copy__(self) -> KalshiAuth:
        # Immutable, so a copy is the same object: nothing new is exposed and no key bytes are duplicated.
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> KalshiAuth:
        return self


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def signed_message(method: str, path: str, timestamp_ms: int) -> bytes:
    """What Kalshi signs: ``f"{timestamp_ms}{METHOD}{path}"`` with the path's query string left out."""
    if not isinstance(method, str) or not _HTTP_METHOD.fullmatch(method):
        _fail(f"the HTTP method must be letters such as 'GET', got {method!r}")
    if not isinstance(path, str) or not path.startswith("/"):
        _fail(
            "the path to sign must be the URL path starting with '/' "
            f"(e.g. '/trade-api/v2/portfolio/balance'), got {path!r}"
        )
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int) or timestamp_ms < 0:
        _fail(f"timestamp_ms must be a non-negative int (milliseconds since the epoch), got {timestamp_ms!r}")
    # Kalshi signs the path without the query string; a fragment is never sent, so it can't be signed.
    bare_path = path.split("?", 1)[0].split("#", 1)[0]
    return f"{timestamp_ms}{method.upper()}{bare_path}".encode()


def _read_key_file(path: str | os.PathLike[str], *, variable: str | None = None) -> tuple[bytes, str]:
    """The file's bytes and how to name it in messages (the path is not secret; its content is)."""
    raw: object
    try:
        raw = os.fspath(path)
    except TypeError:
        raw = None
    if not isinstance(raw, str) or not raw:
        _fail(f"the private key path must be a non-empty str or os.PathLike, got {type(path).__name__}")
    expanded = os.path.expanduser(raw)
    shown = f"file {expanded!r}" + (f" (from {variable})" if variable else "")
    problem: str | None = None
    data = b""
    try:
        with open(expanded, "rb") as handle:
            data = handle.read(_MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        problem = f"private key {shown} does not exist"
    except IsADirectoryError:
        problem = f"private key {shown} is a directory, not a key file"
    except PermissionError:
        problem = f"private key {shown} is not readable (permission denied)"
    except OSError as exc:
        problem = f"could not read private key {shown}: {exc.strerror or type(exc).__name__}"
    if problem is not None:
        _fail(problem)
    if len(data) > _MAX_KEY_FILE_BYTES:
        _fail(f"private key {shown} is larger than 1 MiB; it is not a PEM key file")
    return data, shown
