import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import (
    EVENT_TYPE_NAMES,
    MAX_EVENT_BYTES,
    Area,
    CallbackOutcome,
    CallCallback,
    Category,
    Channel,
    Envelope,
    Family,
    Grade,
    Queue,
    Rejection,
    RejectReason,
    ReportType,
    Source,
    decode,
)
from schemas.jsonschema import SCHEMA_PATH, generate
from tests.events import REQUIRED, event, raw


def test_every_contract_type_has_a_builder() -> None:
    assert set(REQUIRED) == EVENT_TYPE_NAMES
    assert len(EVENT_TYPE_NAMES) == 15


@pytest.mark.parametrize(
    ("event_type", "family", "key_field"),
    [
        ("call.queued", Family.CALLS, "call_id"),
        ("call.answered", Family.CALLS, "call_id"),
        ("call.abandoned", Family.CALLS, "call_id"),
        ("call.ended", Family.CALLS, "call_id"),
        ("call.callback", Family.CALLS, "call_id"),
        ("chat.requested", Family.CHATS, "chat_id"),
        ("chat.accepted", Family.CHATS, "chat_id"),
        ("chat.abandoned", Family.CHATS, "chat_id"),
        ("chat.ended", Family.CHATS, "chat_id"),
        ("report.submitted", Family.REPORTS, "report_id"),
        ("report.triaged", Family.REPORTS, "report_id"),
        ("incident.created", Family.INCIDENTS, "incident_id"),
        ("incident.regraded", Family.INCIDENTS, "incident_id"),
        ("incident.attended", Family.INCIDENTS, "incident_id"),
        ("incident.closed", Family.INCIDENTS, "incident_id"),
    ],
)
def test_valid_event_decodes_with_its_family_and_key(event_type, family, key_field) -> None:
    body = event(event_type)
    decoded = decode(raw(body))
    assert isinstance(decoded, Envelope)
    assert decoded.event_type == event_type
    assert decoded.family is family
    assert decoded.key == body[key_field]


def test_offset_is_kept_and_instant_is_exact() -> None:
    decoded = decode(raw(event("call.queued", occurred_at="2026-10-25T01:30:00.250+01:00")))
    assert isinstance(decoded, Envelope)
    assert decoded.occurred_at == datetime(2026, 10, 25, 0, 30, 0, 250000, tzinfo=UTC)
    assert decoded.occurred_at.utcoffset() == timedelta(hours=1)


def test_unknown_extra_fields_are_kept() -> None:
    decoded = decode(raw(event("call.ended", site="north", priority_hint=3)))
    assert isinstance(decoded, Envelope)
    assert decoded.model_extra == {"site": "north", "priority_hint": 3}


def test_optional_fields_default_to_none() -> None:
    decoded = decode(raw(event("incident.created")))
    assert isinstance(decoded, Envelope)
    assert decoded.contact_id is None  # type: ignore[attr-defined]


REJECTIONS = [
    ("empty message", b"", RejectReason.MALFORMED_JSON),
    ("truncated JSON", b'{"event_id": "e', RejectReason.MALFORMED_JSON),
    ("invalid UTF-8", b"\xff\xfe\x00", RejectReason.MALFORMED_JSON),
    ("a JSON array", b"[1, 2]", RejectReason.NOT_AN_OBJECT),
    ("a JSON string", b'"call.queued"', RejectReason.NOT_AN_OBJECT),
    ("JSON null", b"null", RejectReason.NOT_AN_OBJECT),
    ("no event_type", raw({"event_id": "e"}), RejectReason.MISSING_FIELD),
    (
        "unknown event_type",
        raw({**event("call.queued"), "event_type": "call.transferred"}),
        RejectReason.UNKNOWN_TYPE,
    ),
    (
        "naive timestamp",
        raw(event("call.queued", occurred_at="2026-03-29T01:30:00")),
        RejectReason.NAIVE_TIMESTAMP,
    ),
    (
        "naive timestamp with other faults",
        raw(event("call.queued", occurred_at="2026-03-29T01:30:00", queue="nope")),
        RejectReason.NAIVE_TIMESTAMP,
    ),
    (
        "date without time",
        raw(event("call.queued", occurred_at="2026-03-29")),
        RejectReason.INVALID_FIELD,
    ),
    (
        "epoch number for time",
        raw(event("call.queued", occurred_at=1774747800)),
        RejectReason.INVALID_FIELD,
    ),
    (
        "schema_version 2",
        raw(event("call.queued", schema_version=2)),
        RejectReason.UNSUPPORTED_VERSION,
    ),
    (
        "missing call_id",
        raw({k: v for k, v in event("call.queued").items() if k != "call_id"}),
        RejectReason.MISSING_FIELD,
    ),
    (
        "missing occurred_at",
        raw({k: v for k, v in event("call.ended").items() if k != "occurred_at"}),
        RejectReason.MISSING_FIELD,
    ),
    ("channel as a number", raw(event("call.queued", channel=999)), RejectReason.INVALID_FIELD),
    ("unknown queue", raw(event("call.queued", queue="canteen")), RejectReason.INVALID_FIELD),
    (
        "unknown call-back outcome",
        raw(event("call.callback", outcome="left_message")),
        RejectReason.INVALID_FIELD,
    ),
    (
        "call-back with no outcome",
        raw({k: v for k, v in event("call.callback").items() if k != "outcome"}),
        RejectReason.MISSING_FIELD,
    ),
    ("grade 7", raw(event("incident.created", grade=7)), RejectReason.INVALID_FIELD),
    ("grade as text", raw(event("incident.created", grade="1")), RejectReason.INVALID_FIELD),
    (
        "unknown category",
        raw(event("incident.created", category="fraud")),
        RejectReason.INVALID_FIELD,
    ),
    ("attended as text", raw(event("incident.closed", attended="yes")), RejectReason.INVALID_FIELD),
    ("empty event_id", raw(event("call.ended", event_id="")), RejectReason.INVALID_FIELD),
    (
        "event_id of 129 chars",
        raw(event("call.ended", event_id="x" * 129)),
        RejectReason.INVALID_FIELD,
    ),
    ("too large", raw(event("call.ended", padding="x" * MAX_EVENT_BYTES)), RejectReason.TOO_LARGE),
]


@pytest.mark.parametrize(("case", "message", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejection_reason(case: str, message: bytes, reason: RejectReason) -> None:
    decoded = decode(message)
    assert isinstance(decoded, Rejection), case
    assert decoded.reason is reason
    assert decoded.raw == message


def test_rejection_details_name_the_field_but_never_echo_its_value() -> None:
    secret = "07700 900123 Jane Smith"
    decoded = decode(raw(event("call.queued", queue=secret)))
    assert isinstance(decoded, Rejection)
    assert decoded.detail == "queue: Input should be 'switchboard', 'fcr' or 'resolution_centre'"
    naive = decode(raw(event("call.queued", occurred_at="2026-03-29T01:30:00", call_id=secret)))
    assert isinstance(naive, Rejection)
    assert secret not in naive.detail
    assert naive.detail.startswith("occurred_at: timestamp has no UTC offset")


EARLY = "occurred_at: Input should be greater than or equal to 2000-01-01T00:00:00Z"
LATE = "occurred_at: Input should be less than 2100-01-01T00:00:00Z"
SHAPE = "occurred_at: Value error, expected RFC 3339 with an offset, e.g. 2026-03-29T01:30:00+00:00"


@pytest.mark.parametrize(
    ("occurred_at", "refused"),
    [
        ("1999-12-31T23:59:59+00:00", EARLY),
        ("2000-01-01T00:30:00+01:00", EARLY),  # 1999-12-31T23:30Z
        ("2000-01-01T00:00:00+00:00", None),
        ("2099-12-31T23:59:59+00:00", None),
        ("2099-12-31T23:30:00-01:00", LATE),  # 2100-01-01T00:30Z
        ("0001-01-01T00:00:00+00:00", EARLY),
        ("9999-12-31T23:30:00-01:00", LATE),
        ("1780000000", SHAPE),  # seconds since 1970, as a string: not the contract's form
        ("20260601", SHAPE),
        ("2026-06-01", SHAPE),
    ],
)
def test_event_time_must_fall_in_the_years_ccm_can_reckon(
    occurred_at: str, refused: str | None
) -> None:
    result = decode(raw(event("call.queued", occurred_at=occurred_at)))
    if refused is None:
        assert isinstance(result, Envelope)
    else:
        assert isinstance(result, Rejection)
        assert (result.reason, result.detail) == (RejectReason.INVALID_FIELD, refused)


def test_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == generate(), (
        "schemas/ccm-event.schema.json is stale: run 'python -m schemas.jsonschema' and commit it"
    )


# --- properties -------------------------------------------------------------------------

ids = st.text(min_size=1, max_size=128)
moments = st.datetimes(
    # A day inside the accepted years at either end, whatever the offset drawn.
    min_value=datetime(2000, 1, 2),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2099, 12, 30),  # noqa: DTZ001
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)
FIELD_STRATEGIES = {
    "call_id": ids,
    "chat_id": ids,
    "report_id": ids,
    "incident_id": ids,
    "channel": st.sampled_from([c.value for c in Channel]),
    "queue": st.sampled_from([q.value for q in Queue]),
    "report_type": st.sampled_from([r.value for r in ReportType]),
    "grade": st.sampled_from([g.value for g in Grade]),
    "area": st.sampled_from([a.value for a in Area]),
    "category": st.sampled_from([c.value for c in Category]),
    "outcome": st.sampled_from([o.value for o in CallbackOutcome]),
}
OPTIONAL = {
    "call.answered": {"handler_id": ids},
    "call.callback": {"handler_id": ids},
    "chat.accepted": {"handler_id": ids},
    "incident.created": {"contact_id": ids},
    "incident.closed": {"attended": st.booleans()},
}
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)


@st.composite
def valid_events(draw: st.DrawFn) -> dict:
    event_type = draw(st.sampled_from(sorted(EVENT_TYPE_NAMES)))
    body = {
        "event_id": draw(ids),
        "event_type": event_type,
        "occurred_at": draw(moments).isoformat(),
        "schema_version": 1,
        "source": draw(st.text(min_size=1, max_size=64)),
    }
    for name in REQUIRED[event_type]:
        body[name] = draw(FIELD_STRATEGIES[name])
    for name, strategy in OPTIONAL.get(event_type, {}).items():
        if draw(st.booleans()):
            body[name] = draw(strategy)
    extras = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=8).map(lambda s: "x_" + s), json_scalars, max_size=3
        )
    )
    body.update(extras)
    return body


@settings(max_examples=400)
@given(valid_events())
def test_valid_events_round_trip_model_json_decode(body: dict) -> None:
    first = decode(json.dumps(body).encode())
    assert isinstance(first, Envelope), first
    again = decode(first.model_dump_json().encode())
    assert again == first
    assert again.occurred_at == datetime.fromisoformat(body["occurred_at"])


@settings(max_examples=1000)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_raise(message: bytes) -> None:
    result = decode(message)
    assert isinstance(result, Envelope | Rejection)


json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=20,
)


@settings(max_examples=500)
@given(valid_events(), st.sampled_from(["drop", "retype"]), st.data())
def test_damaged_events_are_rejected_never_raised(
    body: dict, damage: str, data: st.DataObject
) -> None:
    name = data.draw(
        st.sampled_from(
            sorted(set(body) - {"event_type"} - {k for k in body if k.startswith("x_")})
        )
    )
    optional = name in OPTIONAL.get(body["event_type"], {})
    if damage == "drop":
        del body[name]
    else:
        body[name] = data.draw(
            json_values.filter(lambda v: not isinstance(v, str) and type(v) is not type(body[name]))
        )
    result = decode(json.dumps(body).encode())
    if damage == "drop" and optional:
        assert isinstance(result, Envelope)
    elif damage == "drop":
        assert isinstance(result, Rejection) and result.reason is RejectReason.MISSING_FIELD
    elif name == "schema_version":
        assert isinstance(result, Rejection) and result.reason is RejectReason.UNSUPPORTED_VERSION
    elif name == "handler_id" or name == "contact_id" or name == "attended":
        assert isinstance(result, Envelope) if body[name] is None else isinstance(result, Rejection)
    else:
        assert isinstance(result, Rejection) and result.reason is RejectReason.INVALID_FIELD


@pytest.mark.parametrize(
    ("sent", "counted"),
    [("asb", ReportType.ASB), ("other", ReportType.OTHER), ("lost_property", ReportType.OTHER)],
)
def test_a_report_type_outside_the_list_decodes_as_other(sent: str, counted: ReportType) -> None:
    decoded = decode(raw(event("report.submitted", report_type=sent)))
    assert isinstance(decoded, Envelope)
    assert decoded.report_type is counted  # type: ignore[attr-defined]


def test_the_schema_takes_any_report_type_string() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    field = schema["$defs"]["ReportSubmitted"]["properties"]["report_type"]
    assert (field["type"], field["minLength"], field["maxLength"]) == ("string", 1, 64)
    assert "enum" not in field


def test_a_source_outside_the_closed_set_is_labelled_other() -> None:
    assert [Source.label(s) for s in ("cti", "storm", "chat", "soh", "other")] == [
        Source.CTI,
        Source.STORM,
        Source.CHAT,
        Source.SOH,
        Source.OTHER,
    ]
    assert Source.label("pbx-7") is Source.OTHER
    assert Source.label("CTI") is Source.OTHER  # values are matched exactly


@pytest.mark.parametrize("outcome", [o.value for o in CallbackOutcome])
def test_every_call_back_outcome_decodes(outcome: str) -> None:
    decoded = decode(raw(event("call.callback", outcome=outcome, handler_id="h-7")))
    assert isinstance(decoded, CallCallback)
    assert decoded.outcome == CallbackOutcome(outcome)
    assert decoded.handler_id == "h-7"
