"""Turn raw message bytes into an event, or into a rejection with a closed reason.

`decode` never raises, whatever the bytes: the pipeline must not stop for one bad
message. Rejection details name the offending field and what is expected of it,
never the value sent, because values may hold personal data.
"""

from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from schemas.events import Envelope, Event
from schemas.vocabulary import RejectReason

MAX_EVENT_BYTES = 64 * 1024
"""Largest message accepted. Real events are a few hundred bytes; anything near
this is a producer fault, and refusing it early keeps one message from costing
the worker a large parse."""

_adapter: TypeAdapter[Envelope] = TypeAdapter(Event)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that is not a valid event. ``raw`` is kept for the dead-letter topic."""

    reason: RejectReason
    detail: str
    raw: bytes


# pydantic error types mapped to our reasons; first match in error order wins,
# except that a naive timestamp is reported as such whatever else is wrong.
_REASON_BY_ERROR_TYPE: dict[str, RejectReason] = {
    "json_invalid": RejectReason.MALFORMED_JSON,
    "json_type": RejectReason.MALFORMED_JSON,
    "dict_type": RejectReason.NOT_AN_OBJECT,
    "union_tag_invalid": RejectReason.UNKNOWN_TYPE,
    "union_tag_not_found": RejectReason.MISSING_FIELD,
    "timezone_aware": RejectReason.NAIVE_TIMESTAMP,
    "missing": RejectReason.MISSING_FIELD,
}


def _where(loc: tuple[int | str, ...]) -> str:
    # The first element is the union tag pydantic adds ("call.queued"); drop it.
    path = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(path) or "message"


def _rejection_from(error: ValidationError, raw: bytes) -> Rejection:
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    first = errors[0]
    for err in errors:
        if err["type"] == "timezone_aware":
            first = err
            break
    kind = first["type"]
    loc = tuple(first["loc"])
    if loc[-1:] == ("schema_version",) and kind != "missing":
        reason = RejectReason.UNSUPPORTED_VERSION
    elif kind == "union_tag_not_found":
        return Rejection(RejectReason.MISSING_FIELD, "event_type: field required", raw)
    elif kind == "union_tag_invalid":
        return Rejection(
            RejectReason.UNKNOWN_TYPE,
            "event_type: not a known event type (see schemas/ccm-event.schema.json)",
            raw,
        )
    else:
        reason = _REASON_BY_ERROR_TYPE.get(kind, RejectReason.INVALID_FIELD)
    if reason is RejectReason.MALFORMED_JSON:
        return Rejection(reason, "not valid UTF-8 JSON: " + first["msg"], raw)
    if reason is RejectReason.NAIVE_TIMESTAMP:
        detail = (
            f"{_where(loc)}: timestamp has no UTC offset; send RFC 3339 with an offset, "
            "e.g. 2026-03-29T01:30:00+00:00"
        )
        return Rejection(reason, detail, raw)
    extra = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Rejection(reason, f"{_where(loc)}: {first['msg']}{extra}", raw)


def decode(raw: bytes) -> Envelope | Rejection:
    """Decode one message. Returns the event, or a `Rejection`; never raises."""
    if len(raw) > MAX_EVENT_BYTES:
        return Rejection(
            RejectReason.TOO_LARGE,
            f"message is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}",
            raw,
        )
    try:
        return _adapter.validate_json(raw)
    except ValidationError as error:
        return _rejection_from(error, raw)
    except Exception as error:  # decode promises never to raise; name the class only
        return Rejection(
            RejectReason.MALFORMED_JSON, f"could not be parsed ({type(error).__name__})", raw
        )
