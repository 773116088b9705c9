"""A broker that requires SASL_SSL (SCRAM-SHA-512 over TLS) and enforces ACLs:
`local-kafka start --sasl-ssl` writes the client settings, and ccm works with those alone;
a client without them, with a wrong password, an untrusted CA or in plaintext is refused
with one line naming the setting to fix."""

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.conftest import LOCAL_KAFKA, TEST_KAFKA_PORT
from tests.integration.worker import WorkerProcess
from tests.tls_helpers import make_ca, make_server_cert

pytestmark = pytest.mark.integration

SASL_KAFKA_PORT = os.environ.get("CCM_TEST_SASL_KAFKA_PORT", str(int(TEST_KAFKA_PORT) + 200))
"""The SASL_SSL test broker's port (its controller's is 1000 above it)."""


@dataclass(frozen=True)
class SecureBroker:
    env_file: Path
    client_env: dict[str, str]
    """The CCM_* lines local-kafka wrote, as a dict."""
    names: dict[str, str]
    """CCM_APP_ID and CCM_TOPIC_*: the names the ACLs of user ccm were granted for."""
    bootstrap: str

    @property
    def password(self) -> str:
        return self.client_env["CCM_KAFKA_SASL_PASSWORD"]

    def env(self, **changes: str | None) -> dict[str, str]:
        """A child's environment: the written settings and the names, with ``changes``
        (None removes a setting)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
        env.update(self.client_env)
        env.update(self.names)
        for key, value in changes.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env


def read_env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    state = tmp_path_factory.mktemp("kafka-sasl-state")
    prefix = f"s{uuid.uuid4().hex[:8]}"
    names = {
        "CCM_APP_ID": f"ccm-{prefix}",
        "CCM_TOPIC_CALLS": f"{prefix}.contact.calls",
        "CCM_TOPIC_CHATS": f"{prefix}.contact.chats",
        "CCM_TOPIC_REPORTS": f"{prefix}.contact.reports",
        "CCM_TOPIC_INCIDENTS": f"{prefix}.incidents",
        "CCM_TOPIC_DEADLETTER": f"{prefix}.contact.deadletter",
    }
    env_file = state / "ccm.env"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CCM_")},
        **names,
        "CCM_KAFKA_PORT": SASL_KAFKA_PORT,
        "CCM_KAFKA_STATE": str(state / "broker"),
    }
    if "CCM_KAFKA_CACHE" in os.environ:
        env["CCM_KAFKA_CACHE"] = os.environ["CCM_KAFKA_CACHE"]
    started = subprocess.run(
        [str(LOCAL_KAFKA), "start", "--sasl-ssl", "--env-file", str(env_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if started.returncode != 0:
        pytest.fail(f"could not start the SASL_SSL test broker:\n{started.stderr}", pytrace=False)
    try:
        yield SecureBroker(
            env_file, read_env_file(env_file), names, started.stdout.strip().splitlines()[-1]
        )
    finally:
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True, timeout=120)


def test_the_env_file_holds_the_client_settings_and_is_readable_by_pydantic(
    secure_broker: SecureBroker,
) -> None:
    tls = secure_broker.env_file.parent / "broker" / "tls"
    assert secure_broker.bootstrap == f"127.0.0.1:{SASL_KAFKA_PORT}"
    assert {
        k: v for k, v in secure_broker.client_env.items() if k != "CCM_KAFKA_SASL_PASSWORD"
    } == {
        "CCM_KAFKA_BOOTSTRAP": f"127.0.0.1:{SASL_KAFKA_PORT}",
        "CCM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "CCM_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "CCM_KAFKA_SASL_USERNAME": "ccm",
        "CCM_KAFKA_SSL_CAFILE": str(tls / "ca.pem"),
        "CCM_KAFKA_SSL_CERTFILE": str(tls / "client.pem"),
        "CCM_KAFKA_SSL_KEYFILE": str(tls / "client.key"),
    }
    assert len(secure_broker.password) == 48
    assert oct(secure_broker.env_file.stat().st_mode & 0o777) == "0o600"
    settings = Settings(_env_file=secure_broker.env_file)  # type: ignore[call-arg]
    assert (settings.kafka_security_protocol, settings.kafka_sasl_username) == ("SASL_SSL", "ccm")
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == secure_broker.password


def test_worker_replay_and_simulate_with_the_written_settings_count_every_event(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    simulated = subprocess.run(
        [
            *(sys.executable, "-m", "streams", "simulate", "--out", str(events)),
            *("--duration", "2h", "--start", "2026-03-10T08:00:00+00:00", "--seed", "7"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert simulated.returncode == 0, simulated.stderr
    families = Counter(
        json.loads(line)["event_type"].split(".")[0] for line in events.read_text().splitlines()
    )
    expected = {"calls": families["call"], "chats": families["chat"]}
    expected |= {"reports": families["report"], "incidents": families["incident"]}

    topics = Settings(
        topic_calls=secure_broker.names["CCM_TOPIC_CALLS"],
        topic_chats=secure_broker.names["CCM_TOPIC_CHATS"],
        topic_reports=secure_broker.names["CCM_TOPIC_REPORTS"],
        topic_incidents=secure_broker.names["CCM_TOPIC_INCIDENTS"],
        topic_deadletter=secure_broker.names["CCM_TOPIC_DEADLETTER"],
    )
    worker = WorkerProcess(topics, tmp_path, extra_env=secure_broker.client_env)
    worker.env["CCM_APP_ID"] = secure_broker.names["CCM_APP_ID"]  # the ACLs' group and prefix
    try:
        worker.start()
        sent = subprocess.run(
            [sys.executable, "-m", "streams", "replay", str(events)],
            env=secure_broker.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stderr
        worker.wait_for_consumed(sum(expected.values()))
        # ccm simulate sends straight to Kafka with the same settings: the next hour.
        live = subprocess.run(
            [
                *(sys.executable, "-m", "streams", "simulate", "--speed", "max", "--seed", "8"),
                *("--start", "2026-03-10T10:00:00+00:00", "--duration", "1h"),
            ],
            env=secure_broker.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert live.returncode == 0, live.stderr
        family_of = {secure_broker.names[f"CCM_TOPIC_{f.upper()}"]: f for f in expected}
        for line in live.stderr.splitlines():
            topic, _, count = line.strip().partition(": ")
            if topic in family_of:
                expected[family_of[topic]] += int(count)
        assert sum(expected.values()) > sum(families.values())  # it did send
        worker.wait_for_consumed(sum(expected.values()))
        consumed = worker.metric("ccm_events_consumed_total")
        rejected = worker.metric("ccm_events_rejected_total")
        duplicates = worker.metric("ccm_events_duplicate_total")
    finally:
        worker.stop()
    assert {dict(k)["family"]: v for k, v in consumed.items()} == expected
    assert (sum(rejected.values()), sum(duplicates.values())) == (0, 0)
    log = worker.log(1)
    assert "Traceback" not in log
    for output in (log, sent.stdout, sent.stderr, live.stdout, live.stderr):
        assert secure_broker.password not in output


REFUSED_QUICKLY = {"CCM_KAFKA_BOOTSTRAP_TIMEOUT_SECONDS": "4"}
"""A refusal is told once the client stops trying: sooner than the default 20 s."""


def refusal(broker: SecureBroker, tmp_path: Path, **changes: str | None) -> str:
    """What `ccm replay` says when its settings are changed so."""
    events = tmp_path / "one.jsonl"
    events.write_text(
        json.dumps(
            {
                "event_id": "e1",
                "event_type": "call.ended",
                "occurred_at": "2026-03-10T08:00:00+00:00",
                "schema_version": 1,
                "source": "cti",
                "call_id": "c1",
            }
        )
        + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(events)],
        env=broker.env(**(REFUSED_QUICKLY | changes)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert broker.password not in done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_client_without_credentials_is_told_which_settings_to_set(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    unset = refusal(
        secure_broker, tmp_path, CCM_KAFKA_SASL_USERNAME=None, CCM_KAFKA_SASL_PASSWORD=None
    )
    assert unset == (
        "ccm replay: invalid configuration: CCM_KAFKA_SECURITY_PROTOCOL is SASL_SSL, so set "
        "CCM_KAFKA_SASL_USERNAME and CCM_KAFKA_SASL_PASSWORD too (the SASL login the cluster "
        "gave ccm)"
    )
    tls_only = refusal(secure_broker, tmp_path, CCM_KAFKA_SECURITY_PROTOCOL="SSL")
    assert tls_only == (
        f"ccm replay: the Kafka broker at {secure_broker.bootstrap} accepted TLS, then closed "
        "the connection: its listener probably requires a SASL login. Set "
        "CCM_KAFKA_SECURITY_PROTOCOL=SASL_SSL with CCM_KAFKA_SASL_MECHANISM, "
        "CCM_KAFKA_SASL_USERNAME and CCM_KAFKA_SASL_PASSWORD"
    )


def test_a_wrong_password_is_refused_naming_the_password_setting(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    said = refusal(secure_broker, tmp_path, CCM_KAFKA_SASL_PASSWORD="not-the-password")
    assert said == (
        f"ccm replay: Kafka at {secure_broker.bootstrap} refused the SCRAM-SHA-512 login of "
        "user 'ccm': check CCM_KAFKA_SASL_PASSWORD (and CCM_KAFKA_SASL_USERNAME, "
        "CCM_KAFKA_SASL_MECHANISM)"
    )


def test_an_untrusted_ca_is_refused_naming_the_ca_setting(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    other_ca = make_ca(tmp_path, "other-ca")
    said = refusal(secure_broker, tmp_path, CCM_KAFKA_SSL_CAFILE=str(other_ca))
    assert said == (
        f"ccm replay: the Kafka broker at {secure_broker.bootstrap} presented a certificate "
        f"not signed by the CA in CCM_KAFKA_SSL_CAFILE ({other_ca}) (self-signed certificate "
        "in certificate chain): set CCM_KAFKA_SSL_CAFILE to the PEM file of the CA that signed "
        "the brokers' certificates"
    )


def test_a_client_certificate_the_broker_does_not_trust_is_refused_naming_it(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    make_ca(tmp_path, "ca")
    cert, key = make_server_cert(tmp_path)
    said = refusal(
        secure_broker, tmp_path, CCM_KAFKA_SSL_CERTFILE=str(cert), CCM_KAFKA_SSL_KEYFILE=str(key)
    )
    assert said == (
        f"ccm replay: the Kafka broker at {secure_broker.bootstrap} refused the client "
        f"certificate in CCM_KAFKA_SSL_CERTFILE ({cert}): set it and CCM_KAFKA_SSL_KEYFILE to "
        "a certificate signed by a CA the brokers trust"
    )


def test_a_plaintext_client_is_told_the_broker_speaks_tls(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    said = refusal(secure_broker, tmp_path, CCM_KAFKA_SECURITY_PROTOCOL="PLAINTEXT")
    assert said == (
        f"ccm replay: the Kafka broker at {secure_broker.bootstrap} speaks TLS and ccm spoke "
        "PLAINTEXT to it: set CCM_KAFKA_SECURITY_PROTOCOL to SASL_SSL (or SSL), with "
        "CCM_KAFKA_SSL_CAFILE and, for SASL, CCM_KAFKA_SASL_MECHANISM, "
        "CCM_KAFKA_SASL_USERNAME and CCM_KAFKA_SASL_PASSWORD"
    )


def test_the_worker_with_a_wrong_password_stops_with_the_same_clear_message(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "worker"],
        env=secure_broker.env(**REFUSED_QUICKLY, CCM_KAFKA_SASL_PASSWORD="not-the-password"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == (
        f"ccm worker: Kafka at {secure_broker.bootstrap} refused the SCRAM-SHA-512 login of "
        "user 'ccm': check CCM_KAFKA_SASL_PASSWORD (and CCM_KAFKA_SASL_USERNAME, "
        "CCM_KAFKA_SASL_MECHANISM)"
    )
    assert secure_broker.password not in done.stderr


def test_user_ccm_may_not_touch_topics_outside_its_acls(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "worker"],
        env=secure_broker.env(CCM_TOPIC_CALLS=f"unlisted-{uuid.uuid4().hex[:6]}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == (
        f"ccm worker: Kafka at {secure_broker.bootstrap} does not allow user 'ccm' this "
        "(TopicAuthorizationFailedError): ask its administrators for the ACLs listed in "
        "docs/operating.md (Security), or check CCM_APP_ID and the CCM_TOPIC_* names match "
        "those the ACLs were granted for"
    )


def test_help_never_shows_the_password(secure_broker: SecureBroker) -> None:
    for command in ([], ["worker"], ["replay"], ["simulate"], ["export", "monthly"]):
        shown = subprocess.run(
            [sys.executable, "-m", "streams", *command, "--help"],
            env=secure_broker.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert secure_broker.password not in shown.stdout + shown.stderr
