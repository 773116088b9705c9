"""The Kubernetes manifests: generated/ is current, and every overlay builds with kustomize
and passes kubeconform -strict (core kinds against kubernetes-validate's schemas, the
Strimzi and Prometheus Operator kinds against deploy/k8s/schemas/)."""

import json
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "k8s"
TOOLS = REPO / ".cache" / "k8s-tools" / "bin"
KUBERNETES = "1.37.0"
SOURCE = (
    Path(kubernetes_validate.__file__).parent
    / "kubernetes-json-schema"
    / f"v{KUBERNETES}-local-strict"
)


@pytest.fixture(scope="module")
def tools() -> Path:
    subprocess.run([str(REPO / "deploy" / "install-k8s-tools")], check=True)
    return TOOLS


def build(tools: Path, directory: Path) -> list[dict]:
    out = subprocess.run(
        [str(tools / "kustomize"), "build", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def core_schemas(documents: list[dict], into: Path) -> Path:
    """Self-contained copies of the schemas of the core kinds built: kubernetes-validate's
    refer to /api/_definitions.json, which kubeconform cannot follow from a file."""
    definitions = json.loads((SOURCE / "_definitions.json").read_text())["$defs"]
    folder = into / f"v{KUBERNETES}-local-strict"
    folder.mkdir(parents=True)
    for doc in documents:
        group, _, version = doc["apiVersion"].rpartition("/")
        suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
        name = f"{doc['kind'].lower()}{suffix}.json"
        if (SOURCE / name).is_file():
            text = (SOURCE / name).read_text().replace('"/api/_definitions.json#', '"#')
            schema = json.loads(text) | {"$defs": definitions}
            (folder / name).write_text(json.dumps(schema))
    return into


def test_generated_files_are_current() -> None:
    check = subprocess.run(
        [sys.executable, str(K8S / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("overlay", ["base", "overlays/small-cluster"])
def test_manifests_pass_kubeconform_strict(tools: Path, tmp_path: Path, overlay: str) -> None:
    documents = build(tools, K8S / overlay)
    schemas = core_schemas(documents, tmp_path)
    result = subprocess.run(
        [
            str(tools / "kubeconform"), "-strict", "-summary", "-output", "json",
            "-kubernetes-version", KUBERNETES,
            "-schema-location",
            f"{schemas}/{{{{.NormalizedKubernetesVersion}}}}-local-strict/"
            "{{.ResourceKind}}{{.KindSuffix}}.json",
            "-schema-location",
            f"{K8S}/schemas/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json",
            "-",
        ],
        input=yaml.safe_dump_all(documents),
        capture_output=True,
        text=True,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["resources"] == [], report["resources"]
    assert report["summary"]["valid"] == len(documents)
    assert result.returncode == 0
