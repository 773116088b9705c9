"""TLS and SASL for the worker's Kafka clients (Faust/aiokafka), from the settings.

kafka-python (replay, simulate, topic creation) takes the same settings as plain
options (`Settings.kafka_python_config`); aiokafka wants an `ssl.SSLContext` and
Faust's credential objects, built here. Both verify the brokers' certificates and
host names against CCM_KAFKA_SSL_CAFILE (or the system's CAs).
"""

import ssl
from pathlib import Path

import faust

from streams.settings import Settings


class TlsFileError(ValueError):
    """A TLS file named by a setting cannot be used; the message names the setting."""


def _readable(path: Path, setting: str) -> str:
    if not path.is_file():
        raise TlsFileError(f"{setting} is {path}, which is not a file: set it to a PEM file")
    try:
        path.open("rb").close()
    except OSError as error:
        raise TlsFileError(
            f"{setting} is {path}, which cannot be read ({error.strerror})"
        ) from None
    return str(path)


def client_ssl_context(settings: Settings) -> ssl.SSLContext:
    """The context a client connects to the brokers with (certificate checked, host name too)."""
    cafile = settings.kafka_ssl_cafile
    try:
        context = ssl.create_default_context(
            cafile=_readable(cafile, "CCM_KAFKA_SSL_CAFILE") if cafile else None
        )
    except ssl.SSLError:
        raise TlsFileError(
            f"CCM_KAFKA_SSL_CAFILE is {cafile}, which holds no PEM certificate: set it to the "
            "CA certificate that signed the brokers' certificates"
        ) from None
    if settings.kafka_ssl_certfile is not None:
        certfile = _readable(settings.kafka_ssl_certfile, "CCM_KAFKA_SSL_CERTFILE")
        keyfile = (
            _readable(settings.kafka_ssl_keyfile, "CCM_KAFKA_SSL_KEYFILE")
            if settings.kafka_ssl_keyfile
            else None
        )
        password = settings.kafka_ssl_key_password
        try:
            context.load_cert_chain(
                certfile, keyfile, password.get_secret_value() if password else None
            )
        except ssl.SSLError:
            raise TlsFileError(
                "the client certificate in CCM_KAFKA_SSL_CERTFILE and its key (in "
                "CCM_KAFKA_SSL_KEYFILE, or the same file) do not load as a pair: check both "
                "are PEM, belong together, and CCM_KAFKA_SSL_KEY_PASSWORD if the key is encrypted"
            ) from None
    return context


def check_client_files(settings: Settings) -> None:
    """Raise `TlsFileError` now, naming the setting, rather than deep inside a client."""
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        client_ssl_context(settings)


def faust_credentials(settings: Settings) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """The broker credentials Faust hands to aiokafka; None on a plaintext cluster."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = client_ssl_context(settings) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = settings.kafka_sasl_password
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=password.get_secret_value() if password else None,
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=context,
    )
