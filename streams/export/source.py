"""Where `ccm export` gets the monthly pack: the running worker, or an event log.

The worker serves ``GET /export/monthly?from=YYYY-MM&to=YYYY-MM`` with the pack
as JSON (`MonthlyPack.to_json`). ``--from-log`` recomputes the same pack from a
JSON-lines event file through the same core, with no Kafka and no worker.
"""

import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from streams.core.monthly import MonthlyPack, monthly_pack
from streams.core.months import Month, month_label
from streams.core.targets import Targets
from streams.export.from_log import run_file
from streams.export.web_client import (
    WebClientError,
    refused_login_message,
    untrusted_worker_message,
    worker_request,
)
from streams.settings import Settings

ENDPOINT = "/export/monthly"
FETCH_TIMEOUT_S = 300


class SourceError(Exception):
    """The pack could not be had; the message says what to do."""


def export_base_url(settings: Settings) -> str:
    return (settings.export_url or f"http://127.0.0.1:{settings.web_port}").rstrip("/")


def pack_url(settings: Settings, first: Month, last: Month) -> str:
    query = urllib.parse.urlencode({"from": month_label(first), "to": month_label(last)})
    return f"{export_base_url(settings)}{ENDPOINT}?{query}"


def fetch_pack(settings: Settings, first: Month, last: Month) -> MonthlyPack:
    """The pack from the worker's export endpoint."""
    url = pack_url(settings, first, last)
    advice = (
        "start the worker with `ccm worker` (or set CCM_EXPORT_URL to where it runs), "
        "or recompute from the event log with --from-log FILE"
    )
    try:
        request, context = worker_request(settings, url)
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S, context=context) as response:
            body = response.read()
    except WebClientError as error:
        raise SourceError(str(error)) from None
    except urllib.error.HTTPError as error:
        if error.code == 401:
            raise SourceError(refused_login_message(settings)) from None
        if error.code == 404:
            raise SourceError(
                f"the worker at {export_base_url(settings)} has no export endpoint "
                f"({url} gave 404): upgrade the worker, or use --from-log FILE"
            ) from None
        detail = error.read().decode("utf-8", "replace").strip()[:300]
        raise SourceError(f"the worker refused the export ({error.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise SourceError(untrusted_worker_message(settings, reason)) from None
        raise SourceError(
            f"cannot reach the worker at {export_base_url(settings)} ({reason}): {advice}"
        ) from None
    try:
        return MonthlyPack.from_json(json.loads(body))
    except (ValueError, KeyError, TypeError) as error:
        raise SourceError(
            f"the worker at {export_base_url(settings)} sent something that is not a monthly "
            f"pack ({error}): check CCM_EXPORT_URL points at a ccm worker"
        ) from None


def pack_from_log(
    path: Path,
    settings: Settings,
    targets: Targets,
    first: Month,
    last: Month,
    partitions: int,
    jobs: int = 1,
) -> MonthlyPack:
    """The pack recomputed from an event file; a summary of what was read goes to stderr."""
    from tqdm import tqdm

    if not path.is_file():
        raise SourceError(f"no such file: {path}. Give a JSON-lines file of events, one per line.")
    with tqdm(
        total=path.stat().st_size,
        unit="B",
        unit_scale=True,
        desc=f"read {path.name}",
        disable=None,
        file=sys.stderr,
    ) as bar:
        # One instant for the whole file, as a worker reading it now would judge it.
        now_us = time.time_ns() // 1000
        run = run_file(path, targets, partitions, settings.time_rules(), bar.update, now_us, jobs)
    print(run.summary(), file=sys.stderr)
    return monthly_pack(run.states.values(), targets, first, last)
