"""Why a Kafka client could not connect, told as the setting to change.

kafka-python retries a failing bootstrap until it times out and then says only
"Unable to bootstrap"; the real cause (a refused login, an untrusted certificate,
a TLS port spoken to in plaintext) is in its log records. `explained` keeps those
records from reaching the terminal, and turns the failure into one `KafkaUnavailable`
line naming the setting. A TLS client first checks the broker's certificate itself,
which fails at once instead of after the timeout. No message carries a password.
"""

import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from kafka.errors import (
    AuthorizationError,
    KafkaError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
)

from streams import seam
from streams.security import TlsFileError, check_client_files, client_ssl_context
from streams.settings import Settings


class KafkaUnavailable(RuntimeError):
    """Kafka could not be reached; the message says what to do."""


def unreachable_message(settings: Settings) -> str:
    return (
        f"cannot reach Kafka at {settings.kafka_bootstrap}. Start the local broker with "
        "'deploy/kafka/local-kafka start', or point CCM_KAFKA_BOOTSTRAP (or --bootstrap) "
        "at a running cluster."
    )


seam.mend_read_before_close()  # before any client connects


PROBE_TIMEOUT_S = 5.0


def servers(settings: Settings) -> list[tuple[str, int]]:
    found = []
    for server in settings.kafka_bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if host and port.isdigit():
            found.append((host.strip("[]"), int(port)))
    return found


def _uses_tls(settings: Settings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def untrusted_message(settings: Settings, verify_message: str) -> str:
    trusted = (
        f"the CA in CCM_KAFKA_SSL_CAFILE ({settings.kafka_ssl_cafile})"
        if settings.kafka_ssl_cafile
        else "the system's CAs (CCM_KAFKA_SSL_CAFILE is unset)"
    )
    return (
        f"the Kafka broker at {settings.kafka_bootstrap} presented a certificate not signed "
        f"by {trusted} ({verify_message}): set CCM_KAFKA_SSL_CAFILE to the PEM file of the "
        "CA that signed the brokers' certificates"
    )


def tls_problem(settings: Settings) -> str | None:
    """For a TLS client, what is wrong with the brokers' TLS, if anything (None also when
    no broker answers: the client then waits for one and says it is unreachable)."""
    context = client_ssl_context(settings)
    for host, port in servers(settings):
        try:
            sock = socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S)
        except OSError:
            continue
        try:
            with context.wrap_socket(sock, server_hostname=host):
                return None
        except ssl.SSLCertVerificationError as error:
            return untrusted_message(settings, error.verify_message or "not trusted")
        except (ssl.SSLError, OSError):
            return (
                f"the Kafka broker at {host}:{port} does not speak TLS: set "
                "CCM_KAFKA_SECURITY_PROTOCOL to PLAINTEXT or SASL_PLAINTEXT, or "
                "CCM_KAFKA_BOOTSTRAP to the brokers' TLS listener"
            )
        finally:
            sock.close()
    return None


def speaks_tls(settings: Settings) -> bool:
    """Whether a broker answers a TLS handshake (whatever its certificate)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    for host, port in servers(settings):
        try:
            with (
                socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as sock,
                context.wrap_socket(sock, server_hostname=host),
            ):
                return True
        except (ssl.SSLError, OSError):
            continue
    return False


def explain(settings: Settings, error: Exception, seen: list[BaseException]) -> str:
    """One line on why the client failed with ``error``, having logged ``seen``."""
    causes = [error, *seen]
    if any(isinstance(e, AuthorizationError) for e in causes):
        name = next(type(e).__name__ for e in causes if isinstance(e, AuthorizationError))
        return (
            f"Kafka at {settings.kafka_bootstrap} does not allow user "
            f"{settings.kafka_sasl_username or 'ANONYMOUS'!r} this ({name}): ask its "
            "administrators for the ACLs listed in docs/operating.md (Security), or check "
            "CCM_APP_ID and the CCM_TOPIC_* names match those the ACLs were granted for"
        )
    if any(isinstance(e, UnsupportedSaslMechanismError) for e in causes):
        return (
            f"Kafka at {settings.kafka_bootstrap} does not offer SASL mechanism "
            f"{settings.kafka_sasl_mechanism}: set CCM_KAFKA_SASL_MECHANISM to one it offers"
        )
    if any(isinstance(e, SaslAuthenticationFailedError) for e in causes):
        return (
            f"Kafka at {settings.kafka_bootstrap} refused the {settings.kafka_sasl_mechanism} "
            f"login of user {settings.kafka_sasl_username!r}: check CCM_KAFKA_SASL_PASSWORD "
            "(and CCM_KAFKA_SASL_USERNAME, CCM_KAFKA_SASL_MECHANISM)"
        )
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return untrusted_message(settings, cause.verify_message or "not trusted")
    # Under TLS 1.3 the broker judges the client's certificate after the handshake has
    # completed for the client: its refusal arrives as an alert on the first read.
    alerts = " ".join(str(e) for e in causes).upper()
    if "ALERT_CERTIFICATE_REQUIRED" in alerts:
        return (
            f"the Kafka broker at {settings.kafka_bootstrap} requires a client certificate: "
            "set CCM_KAFKA_SSL_CERTFILE and CCM_KAFKA_SSL_KEYFILE to the certificate and key "
            "the cluster issued to ccm"
        )
    if "ALERT_CERTIFICATE_UNKNOWN" in alerts or "ALERT_BAD_CERTIFICATE" in alerts:
        return (
            f"the Kafka broker at {settings.kafka_bootstrap} refused the client certificate "
            f"in CCM_KAFKA_SSL_CERTFILE ({settings.kafka_ssl_certfile}): set it and "
            "CCM_KAFKA_SSL_KEYFILE to a certificate signed by a CA the brokers trust"
        )
    protocol = settings.kafka_security_protocol
    if not _uses_tls(settings) and speaks_tls(settings):
        return (
            f"the Kafka broker at {settings.kafka_bootstrap} speaks TLS and ccm spoke "
            f"{protocol} to it: set CCM_KAFKA_SECURITY_PROTOCOL to SASL_SSL (or SSL), with "
            "CCM_KAFKA_SSL_CAFILE and, for SASL, CCM_KAFKA_SASL_MECHANISM, "
            "CCM_KAFKA_SASL_USERNAME and CCM_KAFKA_SASL_PASSWORD"
        )
    if protocol == "SSL" and seen:
        return (
            f"the Kafka broker at {settings.kafka_bootstrap} accepted TLS, then closed the "
            "connection: its listener probably requires a SASL login. Set "
            "CCM_KAFKA_SECURITY_PROTOCOL=SASL_SSL with CCM_KAFKA_SASL_MECHANISM, "
            "CCM_KAFKA_SASL_USERNAME and CCM_KAFKA_SASL_PASSWORD"
        )
    return unreachable_message(settings)


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        self.errors += [a for a in args if isinstance(a, BaseException)]
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


@contextmanager
def explained(settings: Settings) -> Iterator[None]:
    """Around connecting and talking to Kafka with kafka-python: any failure leaves as a
    `KafkaUnavailable` whose message says what to change."""
    try:
        check_client_files(settings)
        problem = tls_problem(settings) if _uses_tls(settings) else None
    except TlsFileError as error:
        raise KafkaUnavailable(str(error)) from None
    if problem:
        raise KafkaUnavailable(problem)
    logger = logging.getLogger("kafka")
    seen = _Seen()
    propagate = logger.propagate
    logger.addHandler(seen)
    logger.propagate = False
    try:
        yield
    except KafkaError as error:
        raise KafkaUnavailable(explain(settings, error, seen.errors)) from None
    finally:
        logger.removeHandler(seen)
        logger.propagate = propagate
