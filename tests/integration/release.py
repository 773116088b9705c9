"""The previous release of ccm, built from git as CHANGELOG.md records it, for tests that
run two releases in one consumer group."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ccm" / "releases"
"""Outside the checkout, so that every clone on a machine (CI's among them) builds a
release once; keyed by its commit."""


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    source: Path
    python: Path

    @property
    def targets_file(self) -> Path:
        return self.source / "deploy" / "config" / "targets.yaml"


def current_version() -> str:
    found = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert found, "pyproject.toml gives no version"
    return found.group(1)


def previous_release() -> tuple[str, str]:
    """The newest release in CHANGELOG.md before this one, and its commit."""
    text = (REPO / "CHANGELOG.md").read_text()
    current = current_version()
    for version, notes in re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        if version == current:
            continue
        commit = re.search(r"^- commit: ([0-9a-f]{40})$", notes, re.M)
        assert commit, f"CHANGELOG.md gives no commit for release {version}"
        return version, commit.group(1)
    raise AssertionError(f"CHANGELOG.md has no release before {current}")


def build_previous() -> Release:
    """The previous release in a virtualenv of its own with its runtime dependencies
    (its core not compiled: CCM_PURE_PYTHON=1), made once and kept in `CACHE`."""
    version, commit = previous_release()
    known = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True
    )
    assert known.returncode == 0, (
        f"release {version}'s commit {commit} (CHANGELOG.md) is not in this clone: fetch the "
        "whole history (git fetch --unshallow) and run the tests again"
    )
    home = CACHE / f"{version}-{commit[:12]}"
    release = Release(version, commit, home / "source", home / "venv" / "bin" / "python")
    if (home / ".complete").exists():
        return release
    subprocess.run(["rm", "-rf", str(home)], check=True)
    release.source.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(release.source)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    built = subprocess.run(
        [str(release.python), "-m", "pip", "install", "-q", str(release.source)],
        env={**os.environ, "CCM_PURE_PYTHON": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, f"could not build release {version}:\n{built.stderr}"
    (home / ".complete").touch()
    return release
