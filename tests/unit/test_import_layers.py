"""The library's modules import one way: what a thing is sits below what builds on it, with no circle.

Every relative import counts, lazy ones inside functions and those for type checking only included: a circle
of any kind means two modules each need the other to be understood.
"""

import ast

from tests.support import ROOT

PACKAGE = ROOT / "constructs" / "cdk_sagemaker_inference"


def imports_of_each_module() -> dict[str, set[str]]:
    modules = {path.stem: path for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module.split(".")[0]] if node.module else [alias.name for alias in node.names]
                edges[name] |= {target for target in targets if target in modules and target != name}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each reaches every other)."""
    reach = {}
    for start in edges:
        seen, todo = set(), [start]
        while todo:
            for target in edges[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        reach[start] = seen
    groups = {frozenset(m for m in edges if m in reach[start] and start in reach[m]) for start in edges}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_two_modules_of_the_library_import_each_other():
    assert circles(imports_of_each_module()) == []


def test_the_add_ons_import_what_an_endpoint_is_not_the_endpoint():
    edges = imports_of_each_module()
    for add_on in ("alarms", "dashboard", "scaling", "smoke_test", "inference_component"):
        assert "endpoint" not in edges[add_on], add_on
    assert {"scaling", "smoke_test"} <= edges["endpoint"]
