"""How `ccm export` logs in to a worker whose HTTP server asks for TLS and basic auth
(CCM_WEB_CONFIG_FILE on the worker; CCM_EXPORT_* here)."""

import base64
import ssl
import urllib.request

from streams.settings import Settings


class WebClientError(ValueError):
    """The export client's own settings cannot be used; the message names the setting."""


def worker_request(
    settings: Settings, url: str
) -> tuple[urllib.request.Request, ssl.SSLContext | None]:
    """The request for ``url``, with the login, and the TLS context to send it with."""
    headers = {}
    if settings.export_username:
        if not settings.export_password:
            raise WebClientError(
                "CCM_EXPORT_USERNAME is set without CCM_EXPORT_PASSWORD: set the password "
                "of that user too (in the environment)"
            )
        login = f"{settings.export_username}:{settings.export_password.get_secret_value()}"
        headers["Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
    context = None
    if url.startswith("https:"):
        cafile = settings.export_cafile
        if cafile is not None and not cafile.is_file():
            raise WebClientError(f"CCM_EXPORT_CAFILE is {cafile}, which is not a file")
        try:
            context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        except ssl.SSLError:
            raise WebClientError(
                f"CCM_EXPORT_CAFILE is {cafile}, which holds no PEM certificate"
            ) from None
    return urllib.request.Request(url, headers=headers), context


def refused_login_message(settings: Settings) -> str:
    if not settings.export_username:
        return (
            "the worker asks for a login: set CCM_EXPORT_USERNAME and CCM_EXPORT_PASSWORD "
            "to a user of its web-config file's basic_auth_users"
        )
    return (
        f"the worker refused the login of user {settings.export_username!r}: check "
        "CCM_EXPORT_PASSWORD (and CCM_EXPORT_USERNAME)"
    )


def untrusted_worker_message(settings: Settings, error: ssl.SSLCertVerificationError) -> str:
    trusted = (
        f"the CA in CCM_EXPORT_CAFILE ({settings.export_cafile})"
        if settings.export_cafile
        else "the system's CAs (CCM_EXPORT_CAFILE is unset)"
    )
    return (
        f"the worker's certificate is not signed by {trusted} ({error.verify_message}): set "
        "CCM_EXPORT_CAFILE to the PEM file of the CA that signed it"
    )
