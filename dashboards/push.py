"""Sending the dashboards to a Grafana through its HTTP API (grafana-client).

Idempotent: the folder is found by uid or created, and each dashboard is written by
its uid with ``overwrite``, so pushing twice leaves one copy of each, the newest.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaUnauthorizedError,
)


class PushError(Exception):
    """Something the user can fix: the message says what."""


@dataclass(frozen=True)
class Credential:
    token: str | None = None
    user: str | None = None
    password: str | None = None

    def for_client(self) -> str | tuple[str, str] | None:
        if self.token:
            return self.token
        if self.user and self.password is not None:
            return (self.user, self.password)
        return None


def folder_uid(title: str) -> str:
    """A stable uid from the folder's title (Grafana allows 40 of [a-zA-Z0-9_-])."""
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", title.strip().lower()).strip("-")[:40] or "ccm"


def push(
    url: str,
    credential: Credential,
    folder: str,
    dashboards: Iterable[dict],
    say: Callable[[str], None] = print,
    timeout_s: float = 10.0,
) -> int:
    """Push every dashboard into ``folder``; returns how many were written."""
    auth = credential.for_client()
    if auth is None:
        raise PushError(
            "no Grafana credentials: set CCM_GRAFANA_TOKEN (a service account token), "
            "or CCM_GRAFANA_USER and CCM_GRAFANA_PASSWORD."
        )
    api = GrafanaApi.from_url(url, credential=auth, timeout=timeout_s)
    try:
        uid = _ensure_folder(api, folder)
        count = 0
        for data in dashboards:
            result = api.dashboard.update_dashboard(
                {
                    "dashboard": {**data, "id": None},
                    "folderUid": uid,
                    "overwrite": True,
                    "message": "ccm dashboards push",
                }
            )
            say(f"pushed {data['title']!r} to {url.rstrip('/')}{result.get('url', '')}")
            count += 1
        return count
    except GrafanaUnauthorizedError:
        raise PushError(
            f"Grafana at {url} refused the credentials (401): check CCM_GRAFANA_TOKEN, or "
            "CCM_GRAFANA_USER and CCM_GRAFANA_PASSWORD."
        ) from None
    except GrafanaClientError as error:
        if error.status_code == 403:
            raise PushError(
                f"Grafana at {url} does not let these credentials write dashboards (403): "
                "use a service account or user with the Editor role or above."
            ) from None
        raise PushError(f"Grafana at {url} rejected the push: {error.message}") from None
    except GrafanaException as error:
        raise PushError(
            f"Grafana at {url} could not be reached or failed: {error.message}. "
            "Check CCM_GRAFANA_URL and that Grafana is running."
        ) from None
    except OSError as error:  # the HTTP library's connection errors are OSErrors
        raise PushError(
            f"Grafana is unreachable at {url} ({type(error).__name__}): check CCM_GRAFANA_URL "
            "and that Grafana is running."
        ) from None


def _ensure_folder(api: GrafanaApi, title: str) -> str:
    uid = folder_uid(title)
    try:
        api.folder.get_folder(uid)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        api.folder.create_folder(title, uid=uid)
    return uid
