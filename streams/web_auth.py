"""TLS and basic auth for the worker's HTTP server, from a Prometheus web-config file.

The file follows the convention of Prometheus and its exporters (exporter-toolkit),
so one file format serves the whole monitoring estate::

    tls_server_config:
      cert_file: worker.pem          # paths are relative to this file
      key_file: worker.key
      client_ca_file: clients-ca.pem # optional, with client_auth_type
      client_auth_type: RequireAndVerifyClientCert
      min_version: TLS12
    basic_auth_users:
      prometheus: $2b$12$...         # bcrypt hash, never the password

Either section may be left out. Unknown keys are refused, as Prometheus refuses them,
so that a misspelt ``basic_auth_user`` cannot leave the endpoints open.
"""

import base64
import binascii
import hashlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml
from aiohttp import web

TLS_KEYS = {"cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version"}
CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
MIN_VERSION = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
REALM = 'Basic realm="ccm", charset="UTF-8"'

# Checked against when the user is unknown, so that a wrong name costs as long as a
# wrong password and the response time does not tell which names exist.
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=10))


class WebConfigError(ValueError):
    """The web-config file cannot be used; the message says what to change."""


@dataclass(frozen=True)
class WebConfig:
    ssl_context: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)
    """User name to bcrypt hash; empty: no login asked."""


def load_web_config(path: Path) -> WebConfig:
    where = f"CCM_WEB_CONFIG_FILE ({path})"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise WebConfigError(f"{where} cannot be read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise WebConfigError(f"{where} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise WebConfigError(
            f"{where} must be a mapping with tls_server_config and/or basic_auth_users"
        )
    unknown = sorted(set(data) - {"tls_server_config", "basic_auth_users"})
    if unknown:
        raise WebConfigError(
            f"{where} has unknown keys {unknown}: ccm reads tls_server_config and basic_auth_users"
        )
    tls = data.get("tls_server_config")
    context = _ssl_context(tls, path.parent, where) if tls else None
    return WebConfig(context, _users(data.get("basic_auth_users") or {}, where))


def _ssl_context(tls: Any, base: Path, where: str) -> ssl.SSLContext:
    if not isinstance(tls, dict):
        raise WebConfigError(f"{where}: tls_server_config must be a mapping")
    unknown = sorted(set(tls) - TLS_KEYS)
    if unknown:
        raise WebConfigError(f"{where}: tls_server_config has unknown keys {unknown}")
    if not tls.get("cert_file") or not tls.get("key_file"):
        raise WebConfigError(f"{where}: tls_server_config needs both cert_file and key_file")

    def resolve(key: str) -> str:
        file = base / str(tls[key])
        if not file.is_file():
            raise WebConfigError(f"{where}: tls_server_config {key} {file} is not a file")
        return str(file)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.minimum_version = MIN_VERSION[tls.get("min_version", "TLS12")]
    except KeyError:
        raise WebConfigError(
            f"{where}: tls_server_config min_version must be one of {sorted(MIN_VERSION)}"
        ) from None
    try:
        context.load_cert_chain(resolve("cert_file"), resolve("key_file"))
    except ssl.SSLError:
        raise WebConfigError(
            f"{where}: tls_server_config cert_file and key_file do not load as a PEM "
            "certificate and its unencrypted key"
        ) from None
    auth_type = tls.get("client_auth_type", "NoClientCert")
    if auth_type not in CLIENT_AUTH:
        raise WebConfigError(
            f"{where}: tls_server_config client_auth_type must be one of {sorted(CLIENT_AUTH)}"
        )
    context.verify_mode = CLIENT_AUTH[auth_type]
    if context.verify_mode != ssl.CERT_NONE:
        if not tls.get("client_ca_file"):
            raise WebConfigError(
                f"{where}: client_auth_type {auth_type} needs client_ca_file, the CA of the "
                "client certificates"
            )
        context.load_verify_locations(resolve("client_ca_file"))
    return context


def _users(users: Any, where: str) -> dict[str, bytes]:
    if not isinstance(users, dict):
        raise WebConfigError(f"{where}: basic_auth_users must map user names to bcrypt hashes")
    hashes = {}
    for user, hashed in users.items():
        text = str(hashed or "")
        if not text.startswith(("$2a$", "$2b$", "$2y$")):
            # The value is not echoed: it may be a password pasted by mistake.
            raise WebConfigError(
                f"{where}: basic_auth_users {user!r} is not a bcrypt hash; make one with "
                "python -c 'import bcrypt,getpass; "
                "print(bcrypt.hashpw(getpass.getpass().encode(), bcrypt.gensalt()).decode())'"
            )
        hashes[str(user)] = text.encode()
    return hashes


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def basic_auth_middleware(users: dict[str, bytes]) -> Any:
    """Asks every request for one of ``users``' passwords.

    bcrypt is slow on purpose; a login once verified is remembered (by a digest of the
    password, never the password) so that a scrape every few seconds costs nothing.
    """
    verified: set[tuple[str, bytes]] = set()

    def allowed(header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not sep:
            return False
        digest = hashlib.sha256(f"{user}:{password}".encode()).digest()
        if (user, digest) in verified:
            return True
        ok = bcrypt.checkpw(password.encode(), users.get(user, _DUMMY_HASH)) and user in users
        if ok:
            verified.add((user, digest))
        return ok

    @web.middleware
    async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not allowed(request.headers.get("Authorization", "")):
            return web.Response(
                status=401,
                text="401 Unauthorized: log in with a user of basic_auth_users\n",
                headers={"WWW-Authenticate": REALM},
            )
        return await handler(request)

    return require_login


def web_server_options(path: Path | None) -> dict[str, Any]:
    """Faust app options for the worker's web server: its TLS context and middleware."""
    if path is None:
        return {}
    config = load_web_config(path)
    options: dict[str, Any] = {}
    if config.ssl_context is not None:
        options["web_ssl_context"] = config.ssl_context
    if config.users:
        options["web_application_options"] = {"middlewares": [basic_auth_middleware(config.users)]}
    return options
