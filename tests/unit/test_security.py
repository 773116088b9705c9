"""Security settings, the connection-failure messages, the web-config file and its
basic-auth middleware, and local-kafka's refusal of unknown options."""

import asyncio
import base64
import ssl
import subprocess
from pathlib import Path

import bcrypt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)
from pydantic import ValidationError

from schemas import Family
from streams.cli import main
from streams.kafka_check import explain
from streams.security import TlsFileError, client_ssl_context, faust_credentials
from streams.settings import Settings
from streams.web_auth import WebConfigError, basic_auth_middleware, load_web_config
from tests.conftest import LOCAL_KAFKA
from tests.tls_helpers import make_ca, make_server_cert

SASL = {
    "kafka_bootstrap": "127.0.0.1:1",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "ccm",
    "kafka_sasl_password": "s3cret-pw",
}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    make_ca(directory)
    make_server_cert(directory)
    return directory


def test_sasl_without_a_login_names_the_settings_to_set() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN")
    assert refused.value.errors()[0]["msg"] == (
        "Value error, CCM_KAFKA_SECURITY_PROTOCOL is SASL_SSL, so set CCM_KAFKA_SASL_USERNAME "
        "and CCM_KAFKA_SASL_PASSWORD too (the SASL login the cluster gave ccm)"
    )


def test_a_key_without_its_certificate_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(kafka_ssl_keyfile=Path("client.key"))
    assert refused.value.errors()[0]["msg"] == (
        "Value error, CCM_KAFKA_SSL_KEYFILE is set without CCM_KAFKA_SSL_CERTFILE: set both "
        "for mutual TLS, or neither"
    )


def test_the_cli_prints_the_configuration_problem_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CCM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CCM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("CCM_KAFKA_SASL_PASSWORD", "s3cret-pw")
    events = tmp_path / "e.jsonl"
    events.write_text("")
    assert main(["replay", str(events)]) == 2
    said = capsys.readouterr()
    assert said.err == (
        "ccm replay: invalid configuration: CCM_KAFKA_SECURITY_PROTOCOL is SASL_SSL, so set "
        "CCM_KAFKA_SASL_USERNAME too (the SASL login the cluster gave ccm)\n"
    )
    assert "s3cret-pw" not in said.out + said.err


def test_kafka_python_gets_the_client_certificate_and_key(tls: Path) -> None:
    settings = Settings(
        **SASL,
        kafka_ssl_cafile=tls / "ca.pem",
        kafka_ssl_certfile=tls / "server.pem",
        kafka_ssl_keyfile=tls / "server.key",
        kafka_ssl_key_password="key-pw",
    )
    assert settings.kafka_python_config() == {
        "bootstrap_servers": ["127.0.0.1:1"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "ccm",
        "sasl_plain_password": "s3cret-pw",
        "ssl_cafile": str(tls / "ca.pem"),
        "ssl_certfile": str(tls / "server.pem"),
        "ssl_keyfile": str(tls / "server.key"),
        "ssl_password": "key-pw",
    }
    assert "s3cret-pw" not in repr(settings)


def test_faust_gets_a_verifying_context_with_the_client_certificate(tls: Path) -> None:
    settings = Settings(
        **SASL,
        kafka_ssl_cafile=tls / "ca.pem",
        kafka_ssl_certfile=tls / "server.pem",
        kafka_ssl_keyfile=tls / "server.key",
    )
    credentials = faust_credentials(settings)
    assert (credentials.username, credentials.password) == ("ccm", "s3cret-pw")
    assert (credentials.mechanism.value, credentials.protocol.value) == (
        "SCRAM-SHA-512",
        "SASL_SSL",
    )
    context = credentials.ssl_context
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "test ca"),),)]
    assert repr(credentials) == "<SASLCredentials: username=ccm>"
    assert faust_credentials(Settings()) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"kafka_ssl_cafile": Path("/nonexistent/ca.pem")},
            "CCM_KAFKA_SSL_CAFILE is /nonexistent/ca.pem, which is not a file: set it to a "
            "PEM file",
        ),
        (
            {"kafka_ssl_certfile": Path("/nonexistent/c.pem")},
            "CCM_KAFKA_SSL_CERTFILE is /nonexistent/c.pem, which is not a file: set it to a "
            "PEM file",
        ),
    ],
)
def test_a_missing_tls_file_is_named_by_its_setting(changes: dict, message: str) -> None:
    with pytest.raises(TlsFileError) as refused:
        client_ssl_context(Settings(**SASL, **changes))
    assert str(refused.value) == message


def test_a_certificate_and_key_that_do_not_belong_together_are_refused(tls: Path) -> None:
    settings = Settings(
        **SASL, kafka_ssl_certfile=tls / "server.pem", kafka_ssl_keyfile=tls / "ca.key"
    )
    with pytest.raises(TlsFileError) as refused:
        client_ssl_context(settings)
    assert str(refused.value).startswith("the client certificate in CCM_KAFKA_SSL_CERTFILE")


@pytest.mark.parametrize(
    ("seen", "message"),
    [
        (
            [SaslAuthenticationFailedError("Authentication failed during authentication")],
            "Kafka at 127.0.0.1:1 refused the SCRAM-SHA-512 login of user 'ccm': check "
            "CCM_KAFKA_SASL_PASSWORD (and CCM_KAFKA_SASL_USERNAME, CCM_KAFKA_SASL_MECHANISM)",
        ),
        (
            [UnsupportedSaslMechanismError()],
            "Kafka at 127.0.0.1:1 does not offer SASL mechanism SCRAM-SHA-512: set "
            "CCM_KAFKA_SASL_MECHANISM to one it offers",
        ),
        (
            [TopicAuthorizationFailedError()],
            "Kafka at 127.0.0.1:1 does not allow user 'ccm' this "
            "(TopicAuthorizationFailedError): ask its administrators for the ACLs listed in "
            "docs/operating.md (Security), or check CCM_APP_ID and the CCM_TOPIC_* names match "
            "those the ACLs were granted for",
        ),
        (
            [KafkaConnectionError("[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert")],
            "the Kafka broker at 127.0.0.1:1 requires a client certificate: set "
            "CCM_KAFKA_SSL_CERTFILE and CCM_KAFKA_SSL_KEYFILE to the certificate and key the "
            "cluster issued to ccm",
        ),
        (
            [],
            "cannot reach Kafka at 127.0.0.1:1. Start the local broker with "
            "'deploy/kafka/local-kafka start', or point CCM_KAFKA_BOOTSTRAP (or --bootstrap) at "
            "a running cluster.",
        ),
    ],
)
def test_a_failed_connection_is_explained_by_what_the_client_logged(
    seen: list[BaseException], message: str
) -> None:
    settings = Settings(**SASL)
    said = explain(settings, KafkaTimeoutError("Unable to bootstrap"), seen)
    assert said == message
    assert "s3cret-pw" not in said


def hashed(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def test_a_web_config_gives_a_tls_context_and_users(tls: Path) -> None:
    path = tls / "web.yml"
    path.write_text(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
        f"  min_version: TLS13\nbasic_auth_users:\n  prometheus: '{hashed('pw')}'\n"
    )
    config = load_web_config(path)
    assert config.ssl_context is not None
    assert config.ssl_context.minimum_version is ssl.TLSVersion.TLSv1_3
    assert config.ssl_context.verify_mode == ssl.CERT_NONE
    assert list(config.users) == ["prometheus"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "basic_auth_user:\n  a: b\n",
            "has unknown keys ['basic_auth_user']: ccm reads tls_server_config and "
            "basic_auth_users",
        ),
        (
            "basic_auth_users:\n  prometheus: plain-password\n",
            "basic_auth_users 'prometheus' is not a bcrypt hash; make one with python -c "
            "'import bcrypt,getpass; print(bcrypt.hashpw(getpass.getpass().encode(), "
            "bcrypt.gensalt()).decode())'",
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n",
            "tls_server_config needs both cert_file and key_file",
        ),
        (
            "tls_server_config:\n  cert_file: nothere.pem\n  key_file: server.key\n",
            "tls_server_config cert_file {tls}/nothere.pem is not a file",
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
            "  client_auth_type: RequireAndVerifyClientCert\n",
            "client_auth_type RequireAndVerifyClientCert needs client_ca_file, the CA of the "
            "client certificates",
        ),
        ("tls_server_config: [1]\n", "tls_server_config must be a mapping"),
    ],
)
def test_a_web_config_mistake_says_what_to_change(tls: Path, text: str, message: str) -> None:
    path = tls / "bad.yml"
    path.write_text(text)
    with pytest.raises(WebConfigError) as refused:
        load_web_config(path)
    said = str(refused.value)
    assert said.removeprefix(f"CCM_WEB_CONFIG_FILE ({path})").lstrip(": ") == message.format(
        tls=tls
    )
    assert "plain-password" not in said


def test_basic_auth_lets_only_a_known_user_with_its_password_in() -> None:
    async def run() -> list[tuple[int, str | None]]:
        app = web.Application(middlewares=[basic_auth_middleware({"prom": hashed("pw").encode()})])

        async def metrics(_request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_get("/metrics", metrics)
        results = []
        async with TestClient(TestServer(app)) as client:
            for header in (
                None,
                "Basic " + base64.b64encode(b"prom:pw").decode(),
                "Basic " + base64.b64encode(b"prom:pw").decode(),  # remembered, same answer
                "Basic " + base64.b64encode(b"prom:wrong").decode(),
                "Basic " + base64.b64encode(b"other:pw").decode(),
                "Basic " + base64.b64encode(b"prom").decode(),
                "Basic !!!",
                "Bearer " + base64.b64encode(b"prom:pw").decode(),
            ):
                headers = {"Authorization": header} if header else {}
                response = await client.get("/metrics", headers=headers)
                results.append((response.status, response.headers.get("WWW-Authenticate")))
        return results

    realm = 'Basic realm="ccm", charset="UTF-8"'
    assert asyncio.run(run()) == [
        (401, realm),
        (200, None),
        (200, None),
        (401, realm),
        (401, realm),
        (401, realm),
        (401, realm),
        (401, realm),
    ]


@pytest.mark.parametrize(
    "args",
    [["start", "--bogus"], ["start", "--sasl-ssl"], ["start", "--env-file", "x"], ["stop", "-x"]],
)
def test_local_kafka_refuses_unknown_or_incomplete_options_with_the_usage(args: list[str]) -> None:
    done = subprocess.run([str(LOCAL_KAFKA), *args], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == (
        "usage: local-kafka start [--sasl-ssl --env-file FILE] | stop | status | version"
    )


def test_topics_ccm_creates_get_the_configured_replication_factor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import streams.topics

    created: list[tuple[str, int, int]] = []

    class Admin:
        def __init__(self, **_config: object) -> None:
            pass

        def list_topics(self) -> list[str]:
            return ["contact.calls"]

        def create_topics(self, topics: list) -> None:
            created.extend((t.name, t.num_partitions, t.replication_factor) for t in topics)

        def describe_topics(self, names: list[str]) -> list[dict]:
            return [{"name": n, "partitions": [0, 1]} for n in names]

        def close(self) -> None:
            pass

    monkeypatch.setattr(streams.topics, "KafkaAdminClient", Admin)
    settings = Settings(topic_replication_factor=3, topic_partitions=6)
    layout = streams.topics.ensure_topics(settings, ["contact.calls", "contact.deadletter"])
    assert created == [("contact.deadletter", 6, 3)]
    assert layout.partitions == {"contact.calls": 2, "contact.deadletter": 2}
    assert layout.created == ("contact.deadletter",)
    assert Settings().topic_replication_factor == 1


def test_the_worker_app_takes_replication_tls_and_login_from_the_settings(tls: Path) -> None:
    from streams.cli import load_targets
    from streams.worker import create_app

    config = tls / "web-app.yml"
    config.write_text(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
        f"basic_auth_users:\n  prometheus: '{hashed('pw')}'\n"
    )
    settings = Settings(topic_replication_factor=3, web_config_file=config)
    partitions = {settings.topic_for(f): 3 for f in (Family.CALLS, Family.CHATS)}
    partitions |= {settings.topic_for(f): 3 for f in (Family.REPORTS, Family.INCIDENTS)}
    app = create_app(settings, load_targets(settings.targets_file), partitions)
    assert app.conf.topic_replication_factor == 3
    assert isinstance(app.conf.web_ssl_context, ssl.SSLContext)
    assert [m.__name__ for m in app.conf.web_application_options["middlewares"]] == [
        "require_login"
    ]
    plain = create_app(Settings(), load_targets(settings.targets_file), partitions)
    assert (plain.conf.topic_replication_factor, plain.conf.web_ssl_context) == (1, None)
