#!/usr/bin/env python3
"""Turns CustomResourceDefinitions (apiextensions.k8s.io/v1, as JSON) into the standalone
JSON schemas kubeconform reads: one per version, at OUT/<group>/<kind>_<version>.json with
the kind in lower case (kubeconform's {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}).

As kubeconform's openapi2jsonschema does for -strict, every object schema that lists its
properties refuses any other field (additionalProperties: false), unless it says otherwise
(its own additionalProperties, or x-kubernetes-preserve-unknown-fields); unlike it, the
resource's top level is strict too (a misspelt "spec" is refused), the branches of
allOf/anyOf/oneOf/not are left open (in a structural schema they only add constraints to
the fields their parent declares), and a map whose keys happen to be "properties" or "type"
is never mistaken for a schema. x-kubernetes-int-or-string accepts an integer or a string,
and nullable: true accepts null as well.

    crd2jsonschema.py OUT CRD.json...

Standard library only: it runs before any virtualenv exists.
"""

import json
import sys
from pathlib import Path
from typing import Any

Schema = dict[str, Any]
COMBINATORS = ("allOf", "anyOf", "oneOf")


def strict(schema: Schema, *, close: bool = True) -> Schema:
    """A copy of one OpenAPI v3 (structural) schema as a JSON schema for kubeconform -strict;
    close=False leaves this node's own fields open (the branch of a combinator)."""
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {name: strict(sub) for name, sub in out["properties"].items()}
        if (
            close
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = strict(out["additionalProperties"])
    if isinstance(out.get("patternProperties"), dict):
        out["patternProperties"] = {k: strict(v) for k, v in out["patternProperties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = strict(out["items"])
    elif isinstance(out.get("items"), list):
        out["items"] = [strict(sub) for sub in out["items"]]
    for key in COMBINATORS:
        if isinstance(out.get(key), list):
            out[key] = [strict(sub, close=False) for sub in out[key]]
    if isinstance(out.get("not"), dict):
        out["not"] = strict(out["not"], close=False)
    if out.get("x-kubernetes-int-or-string") or out.get("format") == "int-or-string":
        out.pop("type", None)
        if out.get("format") == "int-or-string":
            del out["format"]
        if "anyOf" not in out and "oneOf" not in out:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def schemas(crd: Schema) -> dict[str, Schema]:
    """Relative path -> JSON schema, for each version of one CRD that has a schema."""
    spec = crd["spec"]
    kind = spec["names"]["kind"].lower()
    found = {}
    for version in spec["versions"]:
        openapi = version.get("schema", {}).get("openAPIV3Schema")
        if openapi is not None:
            found[f"{spec['group']}/{kind}_{version['name']}.json"] = strict(openapi)
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    for source in argv[1:]:
        crd = json.loads(Path(source).read_text())
        if crd.get("kind") != "CustomResourceDefinition":
            print(f"crd2jsonschema: {source} is not a CustomResourceDefinition", file=sys.stderr)
            return 1
        for relative, schema in schemas(crd).items():
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
