"""`ccm dashboards push` against a stand-in for Grafana's HTTP API.

Grafana cannot run on the test machines (no package, no Docker engine), so a small HTTP
server in the test plays it, and checks each request against Grafana's documented API
(https://grafana.com/docs/grafana/latest/developers/http_api/): the folder API
(GET /api/folders/:uid, 404 when missing; POST /api/folders with uid and title) and the
dashboard API (POST /api/dashboards/db with the dashboard, its id null to address it
by uid, folderUid, and overwrite; 412 when a dashboard with the uid exists and
overwrite is false), authenticated by a bearer token or basic auth (401 otherwise).
"""

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboards.build import build_all
from dashboards.push import Credential, PushError, folder_uid, push
from streams.cli import main
from tests.scenario import TARGETS

TOKEN = "glsa_test-token"
USER, PASSWORD = "ccm-editor", "s3cret"


class FakeGrafana(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.folders: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.problems: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeGrafana

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return header in (f"Bearer {TOKEN}", f"Basic {basic}")

    def _body(self) -> dict:
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            self.server.problems.append(f"{self.path}: body is not application/json")
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        if not self._authorised():
            return self._reply(401, {"message": "Unauthorized"})
        if self.path.startswith("/api/folders/"):
            uid = self.path.removeprefix("/api/folders/")
            folder = self.server.folders.get(uid)
            if folder is None:
                return self._reply(404, {"message": "Folder not found", "status": "not-found"})
            return self._reply(200, folder)
        self.server.problems.append(f"GET {self.path}: not an API push needs")
        self._reply(404, {"message": "Not found"})

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path))
        if not self._authorised():
            return self._reply(401, {"message": "Unauthorized"})
        body = self._body()
        if self.path == "/api/folders":
            if set(body) - {"uid", "title", "parentUid"} or not body.get("title"):
                self.server.problems.append(f"POST /api/folders: body {body}")
                return self._reply(400, {"message": "bad request"})
            if body["uid"] in self.server.folders:
                return self._reply(409, {"message": "a folder with the same uid already exists"})
            folder = {
                "id": len(self.server.folders) + 1,
                "uid": body["uid"],
                "title": body["title"],
            }
            self.server.folders[body["uid"]] = folder
            return self._reply(200, {**folder, "url": f"/dashboards/f/{body['uid']}/"})
        if self.path == "/api/dashboards/db":
            dashboard = body.get("dashboard", {})
            if not dashboard.get("title") or not dashboard.get("uid"):
                return self._reply(400, {"message": "Dashboard title cannot be empty"})
            if dashboard.get("id") is not None:
                self.server.problems.append("dashboard id set: it would not be addressed by uid")
            if body.get("folderUid") not in self.server.folders:
                return self._reply(400, {"message": "folder not found"})
            uid = dashboard["uid"]
            stored = self.server.dashboards.get(uid)
            if stored is not None and not body.get("overwrite"):
                return self._reply(
                    412, {"message": "version-mismatch", "status": "version-mismatch"}
                )
            version = 1 if stored is None else stored["version"] + 1
            self.server.dashboards[uid] = {
                "dashboard": dashboard,
                "folderUid": body["folderUid"],
                "version": version,
            }
            return self._reply(
                200,
                {
                    "id": 1,
                    "uid": uid,
                    "url": f"/d/{uid}/x",
                    "status": "success",
                    "version": version,
                },
            )
        self.server.problems.append(f"POST {self.path}: not an API push needs")
        self._reply(404, {"message": "Not found"})


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    server = FakeGrafana()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


BOARDS = list(build_all(TARGETS).values())
UIDS = ["ccm-supervisor-wallboard", "ccm-duty-officer", "ccm-command-team", "ccm-pipeline-health"]


def test_push_creates_the_folder_and_writes_every_dashboard_by_uid(grafana: FakeGrafana) -> None:
    said: list[str] = []
    count = push(grafana.url, Credential(token=TOKEN), "Control room", BOARDS, said.append)
    assert count == 4
    assert grafana.requests == [
        ("GET", "/api/folders/control-room"),
        ("POST", "/api/folders"),
        *[("POST", "/api/dashboards/db")] * 4,
    ]
    assert grafana.problems == []
    assert grafana.folders == {
        "control-room": {"id": 1, "uid": "control-room", "title": "Control room"}
    }
    assert list(grafana.dashboards) == UIDS
    for data in BOARDS:
        stored = grafana.dashboards[data["uid"]]
        assert stored["folderUid"] == "control-room"
        assert stored["dashboard"] == {**data, "id": None}
    assert said[0] == f"pushed 'Supervisor wallboard' to {grafana.url}/d/ccm-supervisor-wallboard/x"


def test_pushing_again_overwrites_and_adds_nothing(grafana: FakeGrafana) -> None:
    push(grafana.url, Credential(token=TOKEN), "ccm", BOARDS, lambda _: None)
    grafana.requests.clear()
    push(grafana.url, Credential(user=USER, password=PASSWORD), "ccm", BOARDS, lambda _: None)
    assert grafana.requests == [("GET", "/api/folders/ccm"), *[("POST", "/api/dashboards/db")] * 4]
    assert list(grafana.folders) == ["ccm"]
    assert {uid: d["version"] for uid, d in grafana.dashboards.items()} == dict.fromkeys(UIDS, 2)
    assert grafana.problems == []


def test_refused_credentials_say_what_to_set(grafana: FakeGrafana) -> None:
    with pytest.raises(PushError) as refused:
        push(grafana.url, Credential(token="wrong"), "ccm", BOARDS, lambda _: None)
    assert str(refused.value) == (
        f"Grafana at {grafana.url} refused the credentials (401): check CCM_GRAFANA_TOKEN, "
        "or CCM_GRAFANA_USER and CCM_GRAFANA_PASSWORD."
    )
    assert grafana.dashboards == {}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_grafana_is_named_with_the_setting_to_check() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(PushError) as unreachable:
        push(url, Credential(token=TOKEN), "ccm", BOARDS, lambda _: None, timeout_s=2)
    assert str(unreachable.value).startswith(f"Grafana is unreachable at {url} (")
    assert str(unreachable.value).endswith("): check CCM_GRAFANA_URL and that Grafana is running.")


def test_the_command_pushes_with_credentials_from_the_environment(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CCM_GRAFANA_URL", grafana.url)
    monkeypatch.setenv("CCM_GRAFANA_USER", USER)
    monkeypatch.setenv("CCM_GRAFANA_PASSWORD", PASSWORD)
    assert main(["dashboards", "push"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 dashboards in folder 'ccm'"
    assert list(grafana.dashboards) == UIDS
    monkeypatch.setenv("CCM_GRAFANA_PASSWORD", "not it")
    assert main(["dashboards", "push"]) == 2
    assert "refused the credentials (401)" in capsys.readouterr().err


def test_the_command_without_credentials_says_which_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name in ("CCM_GRAFANA_TOKEN", "CCM_GRAFANA_USER", "CCM_GRAFANA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert main(["dashboards", "push", "--url", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == (
        "ccm dashboards: no Grafana credentials: set CCM_GRAFANA_TOKEN (a service account "
        "token), or CCM_GRAFANA_USER and CCM_GRAFANA_PASSWORD.\n"
    )


@pytest.mark.parametrize(
    ("title", "uid"),
    [("ccm", "ccm"), ("Control room", "control-room"), ("  KPIs / Live ", "kpis-live")],
)
def test_folder_uid(title: str, uid: str) -> None:
    assert folder_uid(title) == uid
