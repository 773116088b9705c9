"""The Kubernetes manifests: generated/ is current, and every overlay builds with kustomize
and passes kubeconform -strict: core kinds against kubernetes-validate's schemas, the
Strimzi kinds against schemas made from Strimzi's own CRDs (deploy/install-k8s-schemas),
the Prometheus Operator kinds against deploy/k8s/schemas/."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "k8s"
TOOLS = Path(os.environ.get("CCM_K8S_TOOLS", REPO / ".cache" / "k8s-tools")) / "bin"
# KafkaTopic and KafkaUser: made by deploy/install-k8s-schemas from the CRDs that Strimzi's
# CRD generator (io.strimzi:crd-generator, Maven Central) writes for its API classes
# (io.strimzi:api), in strict form: an unknown field anywhere the CRD lists the fields is
# refused, as the API server's own validation would prune or refuse it.
STRIMZI = Path(os.environ.get("CCM_K8S_SCHEMAS", REPO / ".cache" / "k8s-schemas"))
# ServiceMonitor and PrometheusRule: still written by hand in deploy/k8s/schemas/
# monitoring.coreos.com, covering only the fields ccm uses. No PyPI or npm package ships the
# Prometheus Operator's CRDs (monitoring.coreos.com_servicemonitors.yaml and the like): npm's
# @kubernetes-models/prometheus-operator carries TypeScript models with validators generated
# from the operator's Go types, PyPI's cloudcoil-models-prometheus-operator pydantic models.
HAND_WRITTEN = K8S / "schemas"
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


@pytest.fixture(scope="module")
def strimzi_schemas() -> Path:
    subprocess.run([str(REPO / "deploy" / "install-k8s-schemas")], check=True)
    return STRIMZI


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


def kubeconform(
    tools: Path, strimzi: Path, documents: list[dict], tmp_path: Path
) -> tuple[dict, int]:
    """kubeconform -strict's JSON report on the documents, and its exit code. A kind with no
    schema at any location is an error, not skipped."""
    core = core_schemas(documents, tmp_path)
    crds = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
    result = subprocess.run(
        [
            str(tools / "kubeconform"), "-strict", "-summary", "-output", "json",
            "-kubernetes-version", KUBERNETES,
            "-schema-location",
            f"{core}/{{{{.NormalizedKubernetesVersion}}}}-local-strict/"
            "{{.ResourceKind}}{{.KindSuffix}}.json",
            "-schema-location", f"{strimzi}/{crds}",
            "-schema-location", f"{HAND_WRITTEN}/{crds}",
            "-",
        ],
        input=yaml.safe_dump_all(documents),
        capture_output=True,
        text=True,
    )  # fmt: skip
    return json.loads(result.stdout), result.returncode


def test_generated_files_are_current() -> None:
    check = subprocess.run(
        [sys.executable, str(K8S / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_strimzi_schemas_are_made_not_written(strimzi_schemas: Path) -> None:
    for kind in ("kafkatopic", "kafkauser"):
        assert (strimzi_schemas / "kafka.strimzi.io" / f"{kind}_v1beta2.json").is_file()
    assert not (HAND_WRITTEN / "kafka.strimzi.io").exists()


@pytest.mark.parametrize("overlay", ["base", "overlays/small-cluster"])
def test_manifests_pass_kubeconform_strict(
    tools: Path, strimzi_schemas: Path, tmp_path: Path, overlay: str
) -> None:
    documents = build(tools, K8S / overlay)
    report, code = kubeconform(tools, strimzi_schemas, documents, tmp_path)
    assert report["resources"] == [], report["resources"]
    assert report["summary"]["valid"] == len(documents)
    assert code == 0


def crd2jsonschema():
    spec = importlib.util.spec_from_file_location("crd2jsonschema", K8S / "crd2jsonschema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_crd2jsonschema_is_strict_where_the_crd_lists_fields() -> None:
    openapi = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    # A field named like a keyword is a field, not a schema.
                    "properties": {"type": "object", "properties": {"a": {"type": "string"}}},
                    "port": {"x-kubernetes-int-or-string": True},
                    "note": {"type": "string", "nullable": True},
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "auth": {
                        "type": "object",
                        "properties": {"type": {"type": "string"}, "key": {"type": "string"}},
                        # A branch only adds constraints to its parent's fields.
                        "allOf": [{"properties": {"key": {"minLength": 1}}}],
                    },
                },
            }
        },
    }
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.io",
            "names": {"kind": "Thing"},
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": openapi}}],
        },
    }
    (path, schema), *others = crd2jsonschema().schemas(crd).items()
    assert (path, others) == ("example.io/thing_v1.json", [])

    def valid(spec: dict) -> bool:
        return jsonschema.Draft202012Validator(schema).is_valid({"spec": spec})

    assert valid({"properties": {"a": "x"}, "port": 8080, "note": None, "labels": {"k": "v"}})
    assert valid(
        {"port": "http", "config": {"any": {"thing": 1}}, "auth": {"key": "k", "type": "t"}}
    )
    assert not valid({"partitionz": 1})
    assert not valid({"properties": {"b": "x"}})
    assert not valid({"port": 1.5})
    assert not valid({"labels": {"k": 1}})
    assert not valid({"auth": {"type": "t", "extra": 1}})
    assert not valid({"auth": {"key": ""}})
    assert not jsonschema.Draft202012Validator(schema).is_valid({"sepc": {}})


def topic_with(**spec: object) -> dict:
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "kafka"}},
        "spec": {"partitions": 6, "replicas": 3} | spec,
    }


def user_with_acl(resource: dict) -> dict:
    acl = {"resource": resource, "operations": ["Read"]}
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": "u", "labels": {"strimzi.io/cluster": "kafka"}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": [acl]},
        },
    }


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (topic_with(partitionz=6), "partitionz"),
        (topic_with(partitions=0), "minimum"),
        (topic_with(replicas="3"), "integer"),
        (user_with_acl({"type": "topic", "name": "x", "patterntype": "literal"}), "patterntype"),
        (user_with_acl({"type": "topics", "name": "x"}), "must be one of"),
        ({**topic_with(), "sepc": {}}, "sepc"),
    ],
    ids=[
        "topic-unknown-field",
        "topic-no-partitions",
        "topic-replicas-as-string",
        "user-unknown-nested-field",
        "user-unknown-resource-type",
        "topic-unknown-top-level-field",
    ],
)
def test_strimzi_schemas_refuse_what_strimzi_would(
    tools: Path, strimzi_schemas: Path, tmp_path: Path, document: dict, why: str
) -> None:
    """Strict mode works on the generated schemas: what the CRD does not allow is refused."""
    report, code = kubeconform(tools, strimzi_schemas, [document], tmp_path)
    assert code == 1
    assert report["summary"]["invalid"] == 1, report
    assert why in json.dumps(report["resources"]), report["resources"]


def test_topic_config_is_open(tools: Path, strimzi_schemas: Path, tmp_path: Path) -> None:
    """spec.config keeps x-kubernetes-preserve-unknown-fields: any Kafka topic setting."""
    document = topic_with(config={"cleanup.policy": "compact", "segment.bytes": 1048576})
    report, code = kubeconform(tools, strimzi_schemas, [document], tmp_path)
    assert (report["summary"]["valid"], code) == (1, 0), report
