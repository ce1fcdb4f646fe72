"""The package's layout, checked from its source with ``ast``: no import circles, arrows point down
the layers, no private (``_name``) names used across modules or from tutorials, and argparse
stays in ``cli/``."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minisora"

# The layers, top to bottom. A module may import from its own layer or any layer below it.
LAYERS = ("cli", "tools", "inference", "training", "parallel", "nn", "core")


def modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of ``package``."""
    out = {}
    for f in sorted(package.rglob("*.py")):
        parts = f.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imported(name: str, file: Path, known) -> set[str]:
    """The package's modules that module ``name`` imports (anywhere in the file, functions included)."""
    package = name.split(".") if file.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module) if p)
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> the modules it imports. A package's ``__init__`` re-exporting its own children
    is not an edge back from them."""
    mods = modules(package)
    return {m: {t for t in imported(m, f, mods) if not (mods[t].name == "__init__.py" and m.startswith(t + "."))}
            for m, f in mods.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else "core"


def test_no_import_circles():
    assert circles(import_graph(PACKAGE)) == []


def test_the_circle_check_finds_a_circle(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g  # inside a function: still a circle\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    assert circles(import_graph(pkg)) == [["pkg.a", "pkg.sub.b"]]
    (pkg / "sub" / "b.py").write_text("x = 1\n")
    assert circles(import_graph(pkg)) == []


def test_arrows_point_down_the_layers():
    graph = import_graph(PACKAGE)
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = [(m, t) for m, targets in graph.items() for t in targets
              if m != "minisora" and rank[layer(t)] < rank[layer(m)]]
    assert upward == [], "a lower layer imports a higher one"
    assert layer("minisora.nn.gpt") == "nn" and layer("minisora.config") == "core" and layer("minisora.cli") == "cli"


def private_uses(file: Path, package: str = "minisora") -> list[str]:
    """``from minisora.x import _y`` / ``from .x import _y`` and ``module._y`` where ``module`` was
    imported from the package: private names reached from outside their module."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    ours, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == package):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    found.append(f"from {node.module} import {a.name}")
                ours.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            ours |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == package}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, (ast.Name, ast.Attribute))):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in ours and root.id != "self":
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("folder", ["minisora", "tutorials"])
def test_no_private_names_across_modules(folder):
    uses = {str(f.relative_to(ROOT)): private_uses(f) for f in sorted((ROOT / folder).rglob("*.py"))}
    assert {f: u for f, u in uses.items() if u} == {}


def test_the_private_check_finds_private_uses(tmp_path):
    f = tmp_path / "t.py"
    f.write_text("from minisora import train\nfrom minisora.decode import _cut\nimport minisora\n"
                 "train._check_lengths(1, 2)\nminisora.decode._prepare()\nx = object()._hidden\n")
    assert private_uses(f) == ["from minisora.decode import _cut", "train._check_lengths", "minisora.decode._prepare"]


def argparse_uses(file: Path) -> list[str]:
    """``import argparse``, a parameter named ``args`` (not ``*args``), or ``args.x``."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [f"import {n}" for n in names if n.split(".")[0] == "argparse"]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [f"{node.name}(args)" for a in node.args.args + node.args.kwonlyargs if a.arg == "args"]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "args":
            found.append(ast.unparse(node))
    return found


def test_argparse_stays_in_cli():
    outside = {str(f.relative_to(ROOT)): argparse_uses(f) for f in sorted(PACKAGE.rglob("*.py"))
               if "cli" not in f.relative_to(PACKAGE).parts}
    assert {f: u for f, u in outside.items() if u} == {}
    assert argparse_uses(PACKAGE / "cli" / "parser.py")  # the check does see argparse where it is
