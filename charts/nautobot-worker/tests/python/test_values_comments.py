"""values.yaml: every key carries a comment (STYLE.md), except the fields of free-form Kubernetes objects."""

import re

from conftest import CHART

# Children of these keys are plain Kubernetes API fields (documented upstream), commented as a block on the parent.
FREE_FORM = {
    "resources",
    "podSecurityContext",
    "containerSecurityContext",
    "updateStrategy",
}
KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")


def uncommented_keys(text):
    problems = []
    stack = []  # (indent, key)
    previous = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        match = KEY.match(line)
        if match and not stripped.startswith("-"):
            indent = len(match.group("indent"))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parents = [k for _, k in stack]
            free_form = any(p in FREE_FORM for p in parents)
            commented = previous.startswith("#") or "#" in match.group("rest")
            if not commented and not free_form:
                problems.append(f"values.yaml:{number} {'.'.join(parents + [match.group('key')])}")
            stack.append((indent, match.group("key")))
        previous = stripped
    return problems


def test_should_comment_every_key_when_values_yaml_is_read():
    problems = uncommented_keys((CHART / "values.yaml").read_text())
    assert not problems, "keys without a comment (say what it does, the default's meaning, allowed values):\n" + "\n".join(
        problems
    )


def test_should_report_an_uncommented_key_when_one_lacks_a_comment():
    assert uncommented_keys("# -- a\na: 1\nb: 2\n") == ["values.yaml:3 b"]
