"""The four dashboards as Grafana JSON: built, numbered and written deterministically.

Panel ids run 1, 2, ... in the order panels appear and each panel's queries are
A, B, ..., so the same targets file always gives byte-identical files (keys sorted).
"""

import json
import string
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import command_team, duty_officer, pipeline, supervisor
from dashboards.objectives import Objectives
from streams.core.targets import Targets

BUILT_DIR = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards"
"""Where the built files are committed, and where Grafana's provisioning reads them."""

BOARDS: dict[str, Callable] = {
    "supervisor-wallboard": supervisor.build,
    "duty-officer": duty_officer.build,
    "command-team": command_team.build,
    "pipeline-health": pipeline.build,
}
"""File name (without .json) and builder of each dashboard."""


def build_all(targets: Targets) -> dict[str, dict]:
    """Every dashboard as Grafana JSON (a dict), by file name."""
    objectives = Objectives(targets)
    return {name: _numbered(builder(objectives).build()) for name, builder in BOARDS.items()}


def _numbered(built: object) -> dict:
    data = json.loads(json.dumps(built, cls=JSONEncoder))
    for panel_id, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = panel_id
        for letter, target in zip(string.ascii_uppercase, panel.get("targets", []), strict=False):
            target["refId"] = letter
    return data


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(targets: Targets, out: Path = BUILT_DIR) -> list[Path]:
    """Write every dashboard to ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in build_all(targets).items():
        path = out / f"{name}.json"
        path.write_text(to_json(data), encoding="utf-8")
        written.append(path)
    return written
