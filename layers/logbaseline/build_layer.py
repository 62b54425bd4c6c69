"""Copy into a Lambda layer what Lambda runs of the logbaseline package, and nothing else.

The handlers call the engine, and the engine loads the controls by name (controls/__init__.py's registry), so
the layer holds the package's __init__.py, engine/ and controls/, and every logbaseline module they import,
followed import by import (imports only for type checkers left out). Its only data files are the
trimmed service models the clients are made from. The command line, the demo, the emulator, the reports and
the template reader run on a person's machine and stay out. Usage (the layer's Makefile):
    python build_layer.py <source dir holding logbaseline/> <target dir>
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

PACKAGE = "logbaseline"
RUNTIME_ROOTS = ("engine", "controls")  # subpackages Lambda runs whole (controls are loaded by name)
RUNTIME_DATA = ("service_models",)  # the trimmed service models the clients are made from (aws.py)


def _imported_modules(path: Path) -> set[str]:
    """The logbaseline modules a file imports, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from logbaseline import aws`
    return {name for name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}


def _file_of(module: str, source: Path) -> Path | None:
    base = source.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None  # a name imported from a module, not a module


def runtime_files(source: Path) -> set[Path]:
    """The package's files Lambda runs, relative to `source` (the directory that holds logbaseline/)."""
    package = source / PACKAGE
    pending = [package / "__init__.py"]
    for root in RUNTIME_ROOTS:
        pending += sorted((package / root).rglob("*.py"))
    files: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in files:
            continue
        files.add(path)
        for module in _imported_modules(path):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):  # a module's packages are imported with it
                found = _file_of(".".join(parts[:depth]), source)
                if found is not None:
                    pending.append(found)
    files |= {path for data in RUNTIME_DATA for path in (package / data).rglob("*.json.gz")}
    return {path.relative_to(source) for path in files}


def build(source: Path, target: Path) -> list[Path]:
    copied = sorted(runtime_files(source))
    for relative in copied:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)
    return copied


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
