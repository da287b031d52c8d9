"""Request signing: real RSA keys, signatures checked with the public key, and no secret in any message."""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import pickle
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kalshi_api_core.auth import (
    ACCESS_HEADER_PREFIX,
    ACCESS_KEY_HEADER,
    ACCESS_SIGNATURE_HEADER,
    ACCESS_TIMESTAMP_HEADER,
    KalshiAuth,
)
from kalshi_api_core.errors import ConfigurationError

KEY_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
PASSWORD = "s3cret passphrase ünïcode"
WRONG_PASSWORD = "definitely-not-the-passphrase"
TS = 1703123456789
BALANCE = "/trade-api/v2/portfolio/balance"
ENV_VARS = ("KALSHI_KEY_ID", "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY", "KALSHI_PRIVATE_KEY_PASSPHRASE")


def pem_of(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    fmt: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
    password: str | None = None,
) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode("ascii")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def pems(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    pkcs8 = serialization.PrivateFormat.PKCS8
    traditional = serialization.PrivateFormat.TraditionalOpenSSL
    return {
        "pkcs8": pem_of(rsa_key, pkcs8),
        "traditional": pem_of(rsa_key, traditional),
        "pkcs8_encrypted": pem_of(rsa_key, pkcs8, PASSWORD),
        "traditional_encrypted": pem_of(rsa_key, traditional, PASSWORD),
        "ec": pem_of(ec_key, pkcs8),
        "public": rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
    }


@pytest.fixture(scope="module")
def auth(rsa_key: rsa.RSAPrivateKey) -> KalshiAuth:
    return KalshiAuth(KEY_ID, rsa_key)


@pytest.fixture(scope="module")
def secrets(pems: dict[str, str], rsa_key: rsa.RSAPrivateKey) -> list[str]:
    """Every 16-char window of every PEM body, the passwords and the private exponent's leading digits."""
    found = {PASSWORD, WRONG_PASSWORD}
    for name, pem in pems.items():
        if name == "public":
            continue
        body = "".join(
            line
            for line in pem.splitlines()
            if line and not line.startswith(("-----", "Proc-Type", "DEK-Info"))
        )
        found.update(body[i : i + 16] for i in range(len(body) - 15))
    d = rsa_key.private_numbers().d
    found.update({str(d)[:24], f"{d:x}"[:24]})
    return sorted(found)


def is_valid(auth_key: rsa.RSAPrivateKey, signature: str, message: str) -> bool:
    try:
        auth_key.public_key().verify(
            base64.b64decode(signature, validate=True),
            message.encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


def chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def assert_no_secrets(err: BaseException, secrets: list[str]) -> None:
    texts = [text for exc in chain(err) for text in (str(exc), repr(exc))]
    texts.append("".join(traceback.format_exception(type(err), err, err.__traceback__)))
    for text in texts:
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"secret material in error text: {text!r}"


def raises_config(call: Callable[[], object], secrets: list[str], *fragments: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        call()
    err = info.value
    for fragment in fragments:
        assert fragment in str(err)
    assert_no_secrets(err, secrets)
    # Raised outside the except block: no library exception rides along.
    assert err.__cause__ is None
    assert err.__context__ is None
    return err


# --- signing ------------------------------------------------------------------------------------------------


def test_header_constants() -> None:
    assert ACCESS_KEY_HEADER == "KALSHI-ACCESS-KEY"
    assert ACCESS_TIMESTAMP_HEADER == "KALSHI-ACCESS-TIMESTAMP"
    assert ACCESS_SIGNATURE_HEADER == "KALSHI-ACCESS-SIGNATURE"
    assert ACCESS_HEADER_PREFIX == "kalshi-access-"
    for name in (ACCESS_KEY_HEADER, ACCESS_TIMESTAMP_HEADER, ACCESS_SIGNATURE_HEADER):
        assert name.lower().startswith(ACCESS_HEADER_PREFIX)


def test_signature_is_pss_sha256_over_timestamp_method_path(
    auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey
) -> None:
    signature = auth.sign("get", BALANCE, TS)
    raw = base64.b64decode(signature, validate=True)  # standard alphabet with padding
    assert len(raw) == 256
    assert base64.b64encode(raw).decode() == signature
    assert is_valid(rsa_key, signature, f"{TS}GET{BALANCE}")
    assert is_valid(rsa_key, signature, "1703123456789GET/trade-api/v2/portfolio/balance")


@pytest.mark.parametrize(
    "other_message",
    [
        f"{TS}GET/trade-api/v2/portfolio/orders",
        f"{TS}POST{BALANCE}",
        f"{TS}get{BALANCE}",
        f"{TS + 1}GET{BALANCE}",
        f"{TS}GET/portfolio/balance",
        f"{TS}GET{BALANCE}?",
    ],
)
def test_signature_does_not_verify_for_another_message(
    auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey, other_message: str
) -> None:
    assert not is_valid(rsa_key, auth.sign("GET", BALANCE, TS), other_message)


@pytest.mark.parametrize(
    ("path", "signed"),
    [
        ("/trade-api/v2/markets?limit=5", "/trade-api/v2/markets"),
        ("/trade-api/v2/markets?limit=5&cursor=a%3Fb", "/trade-api/v2/markets"),
        ("/trade-api/v2/markets?", "/trade-api/v2/markets"),
        ("/trade-api/v2/markets#frag", "/trade-api/v2/markets"),
        ("/trade-api/v2/markets/A%20B", "/trade-api/v2/markets/A%20B"),
    ],
)
def test_query_string_is_not_signed(
    auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey, path: str, signed: str
) -> None:
    signature = auth.sign("GET", path, TS)
    assert is_valid(rsa_key, signature, f"{TS}GET{signed}")
    if path != signed:
        assert not is_valid(rsa_key, signature, f"{TS}GET{path}")


def test_pss_signatures_are_randomized(auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey) -> None:
    first, second = auth.sign("DELETE", BALANCE, TS), auth.sign("DELETE", BALANCE, TS)
    assert first != second
    assert is_valid(rsa_key, first, f"{TS}DELETE{BALANCE}")
    assert is_valid(rsa_key, second, f"{TS}DELETE{BALANCE}")


def test_headers_default_to_now(auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey) -> None:
    headers = auth.headers("post", "/trade-api/v2/portfolio/orders?x=1")
    assert set(headers) == {ACCESS_KEY_HEADER, ACCESS_TIMESTAMP_HEADER, ACCESS_SIGNATURE_HEADER}
    assert headers[ACCESS_KEY_HEADER] == KEY_ID
    stamp = headers[ACCESS_TIMESTAMP_HEADER]
    assert stamp.isdigit()
    assert abs(int(stamp) - time.time() * 1000) < 5000
    message = f"{stamp}POST/trade-api/v2/portfolio/orders"
    assert is_valid(rsa_key, headers[ACCESS_SIGNATURE_HEADER], message)


def test_headers_with_explicit_timestamp(auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey) -> None:
    headers = auth.headers("GET", BALANCE, TS)
    assert headers[ACCESS_TIMESTAMP_HEADER] == str(TS)
    assert is_valid(rsa_key, headers[ACCESS_SIGNATURE_HEADER], f"{TS}GET{BALANCE}")


@pytest.mark.parametrize(
    ("method", "path", "timestamp", "fragment"),
    [
        ("GET", "trade-api/v2/portfolio/balance", TS, "starting with '/'"),
        ("GET", "https://api.elections.kalshi.com/trade-api/v2/portfolio/balance", TS, "starting with '/'"),
        ("GET", "", TS, "starting with '/'"),
        ("", BALANCE, TS, "HTTP method"),
        ("G ET", BALANCE, TS, "HTTP method"),
        ("GET", BALANCE, -1, "timestamp_ms"),
        ("GET", BALANCE, True, "timestamp_ms"),
        ("GET", BALANCE, 1.5, "timestamp_ms"),
    ],
)
def test_sign_refuses_bad_arguments(
    auth: KalshiAuth, secrets: list[str], method: str, path: str, timestamp: Any, fragment: str
) -> None:
    raises_config(lambda: auth.sign(method, path, timestamp), secrets, fragment)
    raises_config(lambda: auth.headers(method, path, timestamp), secrets, fragment)


# --- loading ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pkcs8", "traditional"])
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_from_pem_unencrypted(
    pems: dict[str, str], rsa_key: rsa.RSAPrivateKey, name: str, as_bytes: bool
) -> None:
    pem = pems[name]
    loaded = KalshiAuth.from_pem(KEY_ID, pem.encode() if as_bytes else pem)
    assert loaded.key_id == KEY_ID
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


@pytest.mark.parametrize("name", ["pkcs8_encrypted", "traditional_encrypted"])
@pytest.mark.parametrize(
    "password",
    [PASSWORD, PASSWORD.encode()],
    ids=["str", "bytes"],
)
@pytest.mark.parametrize("as_callable", [False, True], ids=["value", "callable"])
def test_from_pem_encrypted(
    pems: dict[str, str], rsa_key: rsa.RSAPrivateKey, name: str, password: str | bytes, as_callable: bool
) -> None:
    calls: list[None] = []

    def provide() -> str | bytes:
        calls.append(None)
        return password

    loaded = KalshiAuth.from_pem(KEY_ID, pems[name], provide if as_callable else password)
    assert calls == ([None] if as_callable else [])
    assert is_valid(rsa_key, loaded.sign("PUT", BALANCE, TS), f"{TS}PUT{BALANCE}")
    loaded.sign("GET", BALANCE, TS)
    assert len(calls) == (1 if as_callable else 0)  # only at load, never per signature


def test_password_callable_not_called_for_unencrypted_key(pems: dict[str, str]) -> None:
    calls: list[None] = []

    def provide() -> str:
        calls.append(None)
        return PASSWORD

    KalshiAuth.from_pem(KEY_ID, pems["pkcs8"], provide)
    assert calls == []


@pytest.mark.parametrize(
    "transform",
    [
        lambda pem: pem.replace("\n", "\\n"),
        lambda pem: pem.replace("\n", "\r\n"),
        lambda pem: "\n".join("    " + line for line in pem.splitlines()),
        lambda pem: "\n\n" + pem + "\n\n",
    ],
    ids=["literal-backslash-n", "crlf", "indented", "padded"],
)
@pytest.mark.parametrize("name", ["pkcs8", "traditional_encrypted"])
def test_from_pem_tolerates_pasted_text(
    pems: dict[str, str], rsa_key: rsa.RSAPrivateKey, transform: Callable[[str], str], name: str
) -> None:
    password = PASSWORD if "encrypted" in name else None
    loaded = KalshiAuth.from_pem(KEY_ID, transform(pems[name]), password)
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


def test_from_pem_skips_other_blocks(pems: dict[str, str], rsa_key: rsa.RSAPrivateKey) -> None:
    loaded = KalshiAuth.from_pem(KEY_ID, pems["public"] + pems["traditional"])
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


@pytest.mark.parametrize(
    ("name", "password", "fragment"),
    [
        ("pkcs8_encrypted", None, "is encrypted: a password is required"),
        ("traditional_encrypted", None, "is encrypted: a password is required"),
        ("pkcs8_encrypted", "", "is encrypted: a password is required"),
        ("pkcs8_encrypted", WRONG_PASSWORD, "could not decrypt the private key: wrong password?"),
        (
            "traditional_encrypted",
            WRONG_PASSWORD.encode(),
            "could not decrypt the private key: wrong password?",
        ),
        ("pkcs8", PASSWORD, "not encrypted, but a password was given"),
        ("ec", None, "not an RSA key"),
        ("public", None, "public key"),
    ],
)
def test_from_pem_errors(
    pems: dict[str, str], secrets: list[str], name: str, password: str | bytes | None, fragment: str
) -> None:
    raises_config(lambda: KalshiAuth.from_pem(KEY_ID, pems[name], password), secrets, fragment)


@pytest.mark.parametrize(
    ("make_pem", "fragment"),
    [
        (lambda pems: "this is not a key", "not a PEM private key"),
        (lambda pems: b"\x30\x82\x04\xbe\x02\x01\x00", "not a PEM private key"),
        (lambda pems: "", "not a PEM private key"),
        (lambda pems: pems["pkcs8"].replace("M", "N"), "not a PEM private key"),
        (lambda pems: pems["pkcs8"].rsplit("-----END", 1)[0], "malformed"),
        (lambda pems: pems["pkcs8"][:400] + pems["pkcs8"][-30:], "not a PEM private key"),
    ],
    ids=["text", "der", "empty", "corrupted-body", "no-end-line", "truncated"],
)
def test_from_pem_rejects_non_keys(
    pems: dict[str, str], secrets: list[str], make_pem: Callable[[dict[str, str]], str | bytes], fragment: str
) -> None:
    raises_config(lambda: KalshiAuth.from_pem(KEY_ID, make_pem(pems)), secrets, fragment)


def test_openssh_key_is_refused_with_a_hint(rsa_key: rsa.RSAPrivateKey, secrets: list[str]) -> None:
    openssh = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    body = b"".join(openssh.splitlines()[1:-1]).decode()
    err = raises_config(lambda: KalshiAuth.from_pem(KEY_ID, openssh), secrets, "OpenSSH format")
    assert body[:16] not in str(err)


@pytest.mark.parametrize("key_id", ["", 42, None, "has space", "tab\tid", "new\nline", "ünï"])
def test_bad_key_id(
    pems: dict[str, str], rsa_key: rsa.RSAPrivateKey, secrets: list[str], key_id: Any
) -> None:
    raises_config(lambda: KalshiAuth.from_pem(key_id, pems["pkcs8"]), secrets, "key id")
    raises_config(lambda: KalshiAuth(key_id, rsa_key), secrets, "key id")


def test_bad_key_id_is_reported_before_asking_for_a_password(
    pems: dict[str, str], secrets: list[str]
) -> None:
    def provide() -> str:
        raise AssertionError("the password callable should not run")

    raises_config(
        lambda: KalshiAuth.from_pem("", pems["pkcs8_encrypted"], provide), secrets, "key id is empty"
    )


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        (lambda: 1234, "password must be str or bytes, got int"),
        (lambda: "", "a password is required"),
        (1234, "password must be str or bytes, got int"),
        ("\udc80bad", "not valid text"),
    ],
    ids=["callable-int", "callable-empty", "int", "surrogate"],
)
def test_bad_password_values(pems: dict[str, str], secrets: list[str], password: Any, fragment: str) -> None:
    raises_config(lambda: KalshiAuth.from_pem(KEY_ID, pems["pkcs8_encrypted"], password), secrets, fragment)


def test_constructor_refuses_non_rsa_and_small_keys(
    ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey, pems: dict[str, str], secrets: list[str]
) -> None:
    raises_config(lambda: KalshiAuth(KEY_ID, ec_key), secrets, "not an RSA key")  # type: ignore[arg-type]
    raises_config(lambda: KalshiAuth(KEY_ID, rsa_key.public_key()), secrets, "not an RSA key")  # type: ignore[arg-type]
    raises_config(lambda: KalshiAuth(KEY_ID, pems["pkcs8"]), secrets, "from_pem")  # type: ignore[arg-type]
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    raises_config(lambda: KalshiAuth(KEY_ID, small), secrets, "1024 bits")


# --- files and environment ----------------------------------------------------------------------------------


def test_from_path(tmp_path: Path, pems: dict[str, str], rsa_key: rsa.RSAPrivateKey) -> None:
    key_file = tmp_path / "kalshi.pem"
    key_file.write_text(pems["traditional_encrypted"])
    for path in (key_file, str(key_file)):
        loaded = KalshiAuth.from_path(KEY_ID, path, PASSWORD)
        assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


def test_from_path_expands_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pems: dict[str, str], rsa_key: rsa.RSAPrivateKey
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "kalshi.pem").write_text(pems["pkcs8"])
    loaded = KalshiAuth.from_path(KEY_ID, "~/kalshi.pem")
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


def test_from_path_errors_name_the_path(tmp_path: Path, pems: dict[str, str], secrets: list[str]) -> None:
    missing = tmp_path / "nope" / "missing.pem"
    raises_config(lambda: KalshiAuth.from_path(KEY_ID, missing), secrets, str(missing), "does not exist")
    raises_config(lambda: KalshiAuth.from_path(KEY_ID, tmp_path), secrets, str(tmp_path), "directory")

    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_text(pems["pkcs8_encrypted"])
    raises_config(
        lambda: KalshiAuth.from_path(KEY_ID, encrypted, WRONG_PASSWORD),
        secrets,
        str(encrypted),
        "wrong password",
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\x01 not a key")
    raises_config(
        lambda: KalshiAuth.from_path(KEY_ID, garbage), secrets, str(garbage), "not a PEM private key"
    )


def test_from_path_refuses_huge_files(tmp_path: Path, secrets: list[str]) -> None:
    huge = tmp_path / "huge.log"
    huge.write_bytes(b"x" * ((1 << 20) + 1))
    raises_config(lambda: KalshiAuth.from_path(KEY_ID, huge), secrets, str(huge), "larger than 1 MiB")


@pytest.fixture
def key_file(tmp_path: Path, pems: dict[str, str]) -> Path:
    path = tmp_path / "kalshi.pem"
    path.write_text(pems["pkcs8"])
    return path


def test_from_env_path(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    loaded = KalshiAuth.from_env({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY_PATH": str(key_file)})
    assert loaded is not None
    assert loaded.key_id == KEY_ID
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


@pytest.mark.parametrize(
    "transform",
    [lambda pem: pem, lambda pem: pem.replace("\n", "\\n"), lambda pem: pem.replace("\n", "\\r\\n")],
    ids=["newlines", "literal-backslash-n", "literal-backslash-r-n"],
)
def test_from_env_pem(
    pems: dict[str, str], rsa_key: rsa.RSAPrivateKey, transform: Callable[[str], str]
) -> None:
    loaded = KalshiAuth.from_env(
        {"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY": transform(pems["traditional"])}
    )
    assert loaded is not None
    assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


def test_from_env_passphrase(tmp_path: Path, pems: dict[str, str], rsa_key: rsa.RSAPrivateKey) -> None:
    path = tmp_path / "encrypted.pem"
    path.write_text(pems["pkcs8_encrypted"])
    environs: list[dict[str, str]] = [
        {"KALSHI_PRIVATE_KEY_PATH": str(path)},
        {"KALSHI_PRIVATE_KEY": pems["traditional_encrypted"].replace("\n", "\\n")},
    ]
    for source in environs:
        environ = {"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY_PASSPHRASE": PASSWORD, **source}
        loaded = KalshiAuth.from_env(environ)
        assert loaded is not None
        assert is_valid(rsa_key, loaded.sign("GET", BALANCE, TS), f"{TS}GET{BALANCE}")


def test_from_env_nothing_set() -> None:
    assert KalshiAuth.from_env({}) is None
    assert KalshiAuth.from_env({"HOME": "/root", "KALSHI_PRIVATE_KEY_PASSPHRASE": PASSWORD}) is None
    # Empty values (`KALSHI_KEY_ID=` in a compose file) count as unset.
    assert KalshiAuth.from_env(dict.fromkeys(ENV_VARS, "")) is None


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert KalshiAuth.from_env() is None
    monkeypatch.setenv("KALSHI_KEY_ID", KEY_ID)
    monkeypatch.setenv("KALSHI_PRIVATE_KEY_PATH", str(key_file))
    loaded = KalshiAuth.from_env()
    assert loaded is not None
    assert loaded.key_id == KEY_ID


def test_from_env_strips_surrounding_whitespace(key_file: Path) -> None:
    loaded = KalshiAuth.from_env(
        {"KALSHI_KEY_ID": f"  {KEY_ID}\n", "KALSHI_PRIVATE_KEY_PATH": f"{key_file}\n"}
    )
    assert loaded is not None
    assert loaded.key_id == KEY_ID


def test_from_env_partial_configuration(key_file: Path, pems: dict[str, str], secrets: list[str]) -> None:
    def load(environ: dict[str, str]) -> Callable[[], object]:
        return lambda: KalshiAuth.from_env(environ)

    raises_config(load({"KALSHI_KEY_ID": KEY_ID}), secrets, "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY")
    raises_config(
        load({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY_PASSPHRASE": PASSWORD}),
        secrets,
        "KALSHI_PRIVATE_KEY_PATH",
    )
    raises_config(load({"KALSHI_PRIVATE_KEY_PATH": str(key_file)}), secrets, "KALSHI_KEY_ID")
    raises_config(load({"KALSHI_PRIVATE_KEY": pems["pkcs8"]}), secrets, "KALSHI_KEY_ID")
    both = {
        "KALSHI_KEY_ID": KEY_ID,
        "KALSHI_PRIVATE_KEY_PATH": str(key_file),
        "KALSHI_PRIVATE_KEY": pems["pkcs8"],
    }
    raises_config(load(both), secrets, "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY", "only one")


def test_from_env_bad_key_errors_name_the_source(
    tmp_path: Path, pems: dict[str, str], secrets: list[str]
) -> None:
    raises_config(
        lambda: KalshiAuth.from_env({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY": pems["pkcs8_encrypted"]}),
        secrets,
        "KALSHI_PRIVATE_KEY",
        "KALSHI_PRIVATE_KEY_PASSPHRASE",
        "a password is required",
    )
    raises_config(
        lambda: KalshiAuth.from_env(
            {
                "KALSHI_KEY_ID": KEY_ID,
                "KALSHI_PRIVATE_KEY": pems["pkcs8_encrypted"],
                "KALSHI_PRIVATE_KEY_PASSPHRASE": WRONG_PASSWORD,
            }
        ),
        secrets,
        "KALSHI_PRIVATE_KEY",
        "wrong password",
    )
    missing = tmp_path / "missing.pem"
    raises_config(
        lambda: KalshiAuth.from_env({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY_PATH": str(missing)}),
        secrets,
        str(missing),
        "KALSHI_PRIVATE_KEY_PATH",
    )
    raises_config(
        lambda: KalshiAuth.from_env({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY": "not a pem"}),
        secrets,
        "KALSHI_PRIVATE_KEY",
        "not a PEM private key",
    )


# --- the object itself --------------------------------------------------------------------------------------


def test_repr_and_str_show_only_a_key_id_prefix(pems: dict[str, str], secrets: list[str]) -> None:
    key_id = str(uuid.uuid4())
    assert len(key_id) == 36
    loaded = KalshiAuth.from_pem(key_id, pems["pkcs8"])
    for text in (repr(loaded), str(loaded), f"{loaded}", f"{loaded!r}", repr([loaded]), repr({"a": loaded})):
        assert key_id[:4] in text
        assert key_id[:5] not in text
        assert not [secret for secret in secrets if secret in text]
    assert repr(loaded) == f"KalshiAuth(key_id='{key_id[:4]}…')"
    assert str(loaded) == repr(loaded)
    # Short ids show at most half of themselves.
    assert repr(KalshiAuth.from_pem("ab12", pems["pkcs8"])) == "KalshiAuth(key_id='ab…')"


def test_cannot_be_pickled(auth: KalshiAuth) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(auth, protocol=protocol)


def test_copies_expose_nothing_new(auth: KalshiAuth, secrets: list[str]) -> None:
    for copied in (copy.copy(auth), copy.deepcopy(auth), copy.deepcopy({"auth": auth})["auth"]):
        assert copied is auth
        assert repr(copied) == repr(auth)
        assert not [secret for secret in secrets if secret in repr(copied)]


def test_immutable_and_identity_equality(rsa_key: rsa.RSAPrivateKey, auth: KalshiAuth) -> None:
    twin = KalshiAuth(KEY_ID, rsa_key)
    assert twin != auth
    assert twin == twin  # identity is the whole contract
    assert len({twin, auth}) == 2
    with pytest.raises(AttributeError):
        twin.key_id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        twin.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(twin, "__dict__")


# --- async --------------------------------------------------------------------------------------------------


def test_aheaders_signs_off_the_event_loop(auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey) -> None:
    async def main() -> tuple[list[tuple[str, dict[str, str]]], int]:
        in_flight = 0
        ticks_while_signing = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks_while_signing
            while not stop.is_set():
                # A blocking aheaders would finish inside a single task step, so in_flight is 0 whenever
                # the ticker gets to run; only signing off the loop lets it observe a signature in flight.
                if in_flight:
                    ticks_while_signing += 1
                await asyncio.sleep(0.001)

        async def one(i: int) -> tuple[str, dict[str, str]]:
            nonlocal in_flight
            path = f"/trade-api/v2/markets/KX-{i}"
            in_flight += 1
            try:
                return path, await auth.aheaders("GET", path + "?depth=5")
            finally:
                in_flight -= 1

        tick_task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        results: list[tuple[str, dict[str, str]]] = []
        # Rounds only make the test robust on a machine where 20 signatures finish within one tick.
        for _ in range(25):
            results += await asyncio.gather(*(one(i) for i in range(20)))
            if ticks_while_signing:
                break
        stop.set()
        await tick_task
        return results, ticks_while_signing

    results, ticks_while_signing = asyncio.run(main())
    assert ticks_while_signing > 0
    assert len(results) >= 20
    for path, headers in results:
        assert headers[ACCESS_KEY_HEADER] == KEY_ID
        message = f"{headers[ACCESS_TIMESTAMP_HEADER]}GET{path}"
        assert is_valid(rsa_key, headers[ACCESS_SIGNATURE_HEADER], message)


def test_aheaders_explicit_timestamp_and_errors(
    auth: KalshiAuth, rsa_key: rsa.RSAPrivateKey, secrets: list[str]
) -> None:
    headers = asyncio.run(auth.aheaders("get", BALANCE, TS))
    assert headers[ACCESS_TIMESTAMP_HEADER] == str(TS)
    assert is_valid(rsa_key, headers[ACCESS_SIGNATURE_HEADER], f"{TS}GET{BALANCE}")
    raises_config(lambda: asyncio.run(auth.aheaders("GET", "no-slash")), secrets, "starting with '/'")


# --- logging ------------------------------------------------------------------------------------------------


def test_loading_and_signing_log_nothing(
    caplog: pytest.LogCaptureFixture, pems: dict[str, str], tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    key_file = tmp_path / "kalshi.pem"
    key_file.write_text(pems["traditional_encrypted"])
    loaded = KalshiAuth.from_pem(KEY_ID, pems["pkcs8_encrypted"], PASSWORD)
    loaded.sign("GET", BALANCE, TS)
    loaded.headers("POST", "/trade-api/v2/portfolio/orders")
    KalshiAuth.from_path(KEY_ID, key_file, lambda: PASSWORD)
    KalshiAuth.from_env({"KALSHI_KEY_ID": KEY_ID, "KALSHI_PRIVATE_KEY": pems["pkcs8"].replace("\n", "\\n")})
    with pytest.raises(ConfigurationError):
        KalshiAuth.from_pem(KEY_ID, pems["pkcs8_encrypted"], WRONG_PASSWORD)
    assert caplog.records == []
