"""Configuration from ``CCM_*`` environment variables (and command-line flags).

Secrets come only from the environment and are held as ``SecretStr`` so they
never reach a log line or a repr.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas import Family
from streams.core.targets import DEFAULT_TARGETS_PATH

if TYPE_CHECKING:
    from streams.core.timebase import TimeRules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CCM_", frozen=True, use_attribute_docstrings=True, extra="ignore"
    )

    kafka_bootstrap: str = "localhost:9092"
    """Kafka bootstrap servers, comma-separated host:port."""
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """How to talk to the brokers: TLS and/or SASL for a force's shared cluster."""
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    """SASL mechanism when the protocol is SASL_*."""
    kafka_sasl_username: str | None = None
    """SASL user name."""
    kafka_sasl_password: SecretStr | None = None
    """SASL password; from the environment only."""
    kafka_ssl_cafile: Path | None = None
    """PEM file of the CA that signed the brokers' certificates (unset: the system's CAs)."""
    kafka_ssl_certfile: Path | None = None
    """PEM client certificate (and chain) for mutual TLS, when the brokers ask for one."""
    kafka_ssl_keyfile: Path | None = None
    """PEM private key of CCM_KAFKA_SSL_CERTFILE (unset: the key is in that file)."""
    kafka_ssl_key_password: SecretStr | None = None
    """Password of an encrypted CCM_KAFKA_SSL_KEYFILE; from the environment only."""
    topic_replication_factor: int = Field(default=1, ge=1)
    """Replicas of each topic ccm creates (input and dead-letter topics when missing,
    checkpoint changelogs): 1 on a single local broker, 3 on a force's cluster."""

    topic_calls: str = "contact.calls"
    """Topic of call.* events, keyed by call_id."""
    topic_chats: str = "contact.chats"
    """Topic of chat.* events, keyed by chat_id."""
    topic_reports: str = "contact.reports"
    """Topic of report.* events, keyed by report_id."""
    topic_incidents: str = "incidents"
    """Topic of incident.* events, keyed by incident_id."""
    topic_deadletter: str = "contact.deadletter"
    """Where rejected input goes, with its reason and original bytes."""

    web_port: int = Field(default=6066, ge=1, le=65535)
    """The worker's HTTP port: /metrics and the export endpoint."""
    web_bind: str = "0.0.0.0"
    """Address the worker's HTTP server listens on."""
    export_url: str | None = None
    """Where `ccm export` fetches the monthly pack (the worker's HTTP base URL); unset:
    http://127.0.0.1:CCM_WEB_PORT."""
    web_config_file: Path | None = None
    """Prometheus web-config YAML (tls_server_config, basic_auth_users) for the worker's
    HTTP server; unset: plain HTTP, no login."""
    export_cafile: Path | None = None
    """PEM CA that signed the worker's certificate, for `ccm export` over https."""
    export_username: str | None = None
    """Basic-auth user `ccm export` logs in to the worker as."""
    export_password: SecretStr | None = None
    """That user's password; from the environment only."""
    web_debug_views: bool = False
    """Faust's own web views (tables, graph, stats). Off: table views would show state."""

    kafka_bootstrap_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    """How long `ccm replay`, `ccm simulate` and the worker's topic check at start wait for
    a broker before saying why they could not reach it (a refused login, a TLS mismatch, an
    unreachable address): kafka-python keeps trying until then."""

    kafka_session_timeout_seconds: float = Field(default=10.0, ge=6, le=300)
    """How soon a worker that died without leaving (SIGKILL, power loss) is noticed and its
    partitions handed on. Faust's default of 60 s leaves KPIs frozen for a minute."""

    grafana_url: str = "http://localhost:3000"
    """The Grafana `ccm dashboards push` sends the dashboards to."""
    grafana_token: SecretStr | None = None
    """A Grafana service account token (Editor or above); from the environment only."""
    grafana_user: str | None = None
    """Grafana user name for basic auth, when no token is set."""
    grafana_password: SecretStr | None = None
    """Grafana password for basic auth; from the environment only."""
    grafana_folder: str = "ccm"
    """The Grafana folder (title; its uid is derived from it) the dashboards go in."""

    app_id: str = "ccm"
    """Kafka consumer group of the workers, and prefix of their checkpoint topics."""
    targets_file: Path = DEFAULT_TARGETS_PATH
    """The targets file (YAML): call-handling, chat and incident grading targets, dated."""
    grace_seconds: int = Field(default=3600, ge=0)
    """How late an event may arrive (behind the newest on its partition) and still count."""
    stale_wait_seconds: int = Field(default=12 * 3600, gt=0)
    """A call or chat waiting longer than this has lost its outcome: dead-lettered as orphan."""
    future_skew_seconds: int = Field(default=300, ge=0)
    """How far ahead of the worker's clock an event may be dated (producers' clocks drift);
    further ahead, it is dead-lettered as future and never moves stream time."""
    period_close_days: int = Field(default=7, ge=0)
    """Days after a London month ends that its daily and monthly figures still take late
    events (live windows take them only within the grace period); later: too_late."""
    report_stale_days: int = Field(default=30, gt=0)
    """An online report untriaged this long stops showing as awaiting triage (it still
    counts as submitted) and is forgotten with its month."""
    incident_stale_days: int = Field(default=30, gt=0)
    """An incident not closed this long after creation is scored as it stands and forgotten."""
    topic_partitions: int = Field(default=6, ge=1)
    """Partitions of input topics the worker creates when they do not exist yet."""
    batch_max: int = Field(default=5000, ge=1)
    """Most messages applied in one batch. A batch is applied as soon as the worker is
    free, with whatever has arrived: no wait for it to fill."""
    checkpoint_seconds: float = Field(default=2.0, gt=0)
    """How often state is checkpointed and consumer offsets released for commit.
    Work since the last checkpoint is redone after a crash, never counted twice."""
    checkpoint_format: int = Field(default=4, ge=4, le=5)
    """The format checkpoints are written in. 4, which the previous release (0.1.0) reads
    too, until every worker of the group runs this release; then 5 (it names the release
    that wrote it). See docs/operating.md, "Upgrades and rollbacks"."""
    stall_seconds: float = Field(default=60.0, gt=0)
    """A partition behind its log end that has not moved for this long is stalled:
    ccm_consumer_stalled shows 1 and the worker logs an error."""
    data_dir: Path = Path(".cache/worker")
    """Faust's local working directory."""

    @model_validator(mode="after")
    def _credentials_complete(self) -> "Settings":
        if self.kafka_security_protocol.startswith("SASL_"):
            unset = [
                f"CCM_KAFKA_SASL_{name.upper()}"
                for name, value in (
                    ("mechanism", self.kafka_sasl_mechanism),
                    ("username", self.kafka_sasl_username),
                    ("password", self.kafka_sasl_password),
                )
                if not value
            ]
            if unset:
                raise ValueError(
                    f"CCM_KAFKA_SECURITY_PROTOCOL is {self.kafka_security_protocol}, so set "
                    f"{' and '.join(unset)} too (the SASL login the cluster gave ccm)"
                )
        if self.kafka_ssl_keyfile is not None and self.kafka_ssl_certfile is None:
            raise ValueError(
                "CCM_KAFKA_SSL_KEYFILE is set without CCM_KAFKA_SSL_CERTFILE: set both for "
                "mutual TLS, or neither"
            )
        return self

    def time_rules(self) -> "TimeRules":
        """The event-time rules of SPEC section 6, as the worker and exports apply them."""
        from streams.core.timebase import TimeRules

        day_us = 86_400 * 1_000_000
        return TimeRules(
            grace_us=self.grace_seconds * 1_000_000,
            stale_us=self.stale_wait_seconds * 1_000_000,
            report_stale_us=self.report_stale_days * day_us,
            incident_stale_us=self.incident_stale_days * day_us,
            close_after_us=self.period_close_days * day_us,
            future_skew_us=self.future_skew_seconds * 1_000_000,
        )

    def topic_for(self, family: Family) -> str:
        from streams.core.families import FAMILIES

        return getattr(self, FAMILIES[family].topic_setting)

    def kafka_bootstrap_timeout_ms(self) -> int:
        return round(self.kafka_bootstrap_timeout_seconds * 1000)

    def kafka_python_config(self) -> dict[str, Any]:
        """Connection settings in kafka-python's vocabulary."""
        config: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.kafka_bootstrap.split(",") if s.strip()],
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            config["sasl_mechanism"] = self.kafka_sasl_mechanism
            config["sasl_plain_username"] = self.kafka_sasl_username
            if self.kafka_sasl_password is not None:
                config["sasl_plain_password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_cafile is not None:
            config["ssl_cafile"] = str(self.kafka_ssl_cafile)
        if self.kafka_ssl_certfile is not None:
            config["ssl_certfile"] = str(self.kafka_ssl_certfile)
            if self.kafka_ssl_keyfile is not None:
                config["ssl_keyfile"] = str(self.kafka_ssl_keyfile)
            if self.kafka_ssl_key_password is not None:
                config["ssl_password"] = self.kafka_ssl_key_password.get_secret_value()
        return config
