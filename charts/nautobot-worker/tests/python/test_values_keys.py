"""values.yaml, values.schema.json and the templates agree on every key (the envoy-configs keys test, for this chart).

1. every values.yaml key is declared in the schema;
2. every schema property of an object that values.yaml spells out is present in values.yaml, so every default is
   documented where operators read it (REFUSED: keys the schema accepts only so the chart can refuse them with a
   message that names the fix);
3. every value path a template reads is declared in the schema (`.Values.a.b`, `$v.a.b` where `$v` is `.Values`,
   and `$spec.k` / `$worker.k`, a worker merged with `celery` or `kubernetesJobs`);
4. every values.yaml key is read by a template: the path itself, a parent the template renders whole (a Kubernetes
   object such as `resources`), or a path it reads dynamically (DYNAMIC).
"""

import json
import re
from pathlib import Path

import yaml

from conftest import CHART

# Accepted by the schema only so that a template can refuse them with an explanation; not offered in values.yaml.
REFUSED = {"nautobot.db.password", "nautobot.redis.password", "global"}
# Read through `get`/`dig` with a computed key, which the scan below cannot see (template, how).
DYNAMIC = {
    "redis.enabled": "_validate.tpl: range over redis/postgresql/ingress, get ... enabled",
    "postgresql.enabled": "_validate.tpl: range over redis/postgresql/ingress, get ... enabled",
    "ingress.enabled": "_validate.tpl: range over redis/postgresql/ingress, get ... enabled",
    "metrics.nginxExporter.enabled": "_validate.tpl: dig $exporter enabled",
    "metrics.uWSGIExporter.enabled": "_validate.tpl: dig $exporter enabled",
    "serviceAccount.roles.jobCreator.create": "rbac.yaml: dig roles jobCreator create",
}
# A worker spec ($spec, $worker) is celery (or kubernetesJobs) merged with workers.<name>.
SPEC_SOURCES = ("celery", "kubernetesJobs")
REFERENCE = re.compile(
    r"(?:\.Values|\$v)((?:\.[A-Za-z_]\w*)+)|(?:\$|\.)(spec|worker)((?:\.[A-Za-z_]\w*)+)"
)


def schema_at(schema, keys):
    """The schema node of a path; {"open": True} below a free-form object; None when undeclared."""
    node = schema
    for key in keys:
        properties = node.get("properties") or {}
        if key in properties:
            node = properties[key]
        elif isinstance(node.get("additionalProperties"), dict) or (
            node.get("type") == "object" and node.get("additionalProperties") is not False
        ):
            return {"open": True}  # any key is allowed below here (a Kubernetes object, a map keyed by name)
        else:
            return None
    return node


def values_paths(node, prefix=()):
    """(path, line) of every key of the values document, not descending into free-form objects."""
    for key_node, value_node in node.value:
        path = (*prefix, key_node.value)
        yield path, key_node.start_mark.line + 1, value_node


def check(values_text, schema, templates):
    problems = []
    values_keys = set()

    def walk(mapping, prefix):
        for path, line, value in values_paths(mapping, prefix):
            dotted = ".".join(path)
            if not (isinstance(value, yaml.MappingNode) and value.value):
                values_keys.add(dotted)  # a leaf: a scalar, a list or an empty map
            node = schema_at(schema, path)
            if node is None:
                problems.append(f"values.yaml:{line} {dotted}: not declared in values.schema.json")
                continue
            if node.get("open"):
                values_keys.add(dotted)  # a free-form object counts as one leaf
                continue
            if isinstance(value, yaml.MappingNode) and value.value:
                walk(value, path)
                present = {k.value for k, _ in value.value}
                for name in (node.get("properties") or {}):
                    full = f"{dotted}.{name}"
                    if name not in present and full not in REFUSED:
                        problems.append(f"values.yaml:{line} {full}: in the schema but not in values.yaml")

    root = yaml.compose(values_text)
    walk(root, ())
    present = {k.value for k, _ in root.value}
    for name in schema["properties"]:
        if name not in present and name not in REFUSED:
            problems.append(f"values.yaml {name}: in the schema but not in values.yaml")

    read = set()
    for filename, text in templates.items():
        for match in REFERENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            if match.group(1):
                candidates = [tuple(match.group(1)[1:].split("."))]
            else:
                rest = tuple(match.group(3)[1:].split("."))
                # the merged spec's own bookkeeping keys, set by the workers helper
                if rest[0] in {"type", "queues", "enabled", "taskQueues"} and match.group(2) == "spec":
                    candidates = [("workers", "default", *rest)]
                else:
                    candidates = [(source, *rest) for source in SPEC_SOURCES] + [("workers", "default", *rest)]
            declared = [c for c in candidates if schema_at(schema, c) is not None]
            if not declared:
                problems.append(f"templates/{filename}:{line} {match.group(0)}: not declared in values.schema.json")
            read.update(".".join(c) for c in declared)

    def is_read(dotted):
        parts = dotted.split(".")
        # the path itself or a parent of at least two segments rendered whole (a top-level block read whole, such
        # as `omit $.Values.celery "enabled"`, says nothing about its keys)
        for end in range(len(parts), 1, -1):
            if ".".join(parts[:end]) in read:
                return True
        return dotted in read or dotted in DYNAMIC

    for dotted in sorted(values_keys):
        parts = dotted.split(".")
        if len(parts) == 1:
            continue  # top-level blocks are read through their keys
        if parts[0] == "workers":
            # workers.<name> is a free-form map entry: read through `range ... .Values.workers`
            if len(parts) == 2 and "workers" in read:
                continue
            parts = ["celery", *parts[2:]]  # a worker entry overrides celery's keys
        if not is_read(".".join(parts)) and not is_read(dotted):
            problems.append(f"values.yaml {dotted}: no template reads it")
    return problems


def _chart_inputs():
    templates = {p.name: p.read_text() for p in sorted((CHART / "templates").iterdir()) if p.is_file()}
    return (CHART / "values.yaml").read_text(), json.loads((CHART / "values.schema.json").read_text()), templates


def test_should_agree_on_every_key_when_values_schema_and_templates_are_read():
    problems = check(*_chart_inputs())
    assert not problems, "values.yaml, values.schema.json and templates disagree:\n  " + "\n  ".join(problems)


def test_should_report_each_kind_of_disagreement_when_one_is_introduced():
    values, schema, templates = _chart_inputs()
    broken = values.replace("  concurrency: 2\n", "  concurrency: 2\n  # -- typo\n  concurrencyy: 2\n", 1)
    broken = broken.replace("  metricsPort: 8080\n", "", 1)
    templates = dict(templates, **{"extra.yaml": "{{ .Values.celery.nonexistent }}\n"})
    problems = check(broken, schema, templates)
    assert any("celery.concurrencyy: not declared in values.schema.json" in p for p in problems), problems
    assert any("celery.metricsPort: in the schema but not in values.yaml" in p for p in problems), problems
    assert any("templates/extra.yaml:1 .Values.celery.nonexistent: not declared" in p for p in problems), problems
    schema_copy = json.loads(json.dumps(schema))
    schema_copy["properties"]["celery"]["properties"]["unusedKey"] = {"type": "string"}
    unread = check(values.replace("  concurrency: 2\n", "  concurrency: 2\n  # -- x\n  unusedKey: x\n", 1), schema_copy,
                   dict(_chart_inputs()[2]))
    assert any("celery.unusedKey: no template reads it" in p for p in unread), unread
