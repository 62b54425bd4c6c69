"""Write the trimmed service models (logbaseline/service_models/): botocore's model of each service the
repository makes clients for, keeping only the operations its code names, the shapes they reach and the
service's errors, without the documentation of operations and shapes.

Why: a sweep makes a client for every service a control reads (more than forty), and most of a client's creation is
botocore parsing the service's whole model and making a method for each of its operations (EC2 has more than
seven hundred; a control calls two). The trimmed models, first on the session's search path (aws.py), make
a sweep's clients in a fraction of the time. They are botocore's own files cut down, for the version installed,
in the same <service>/<api version>/ place, so botocore loads the rest (endpoint rules, paginators) from its
own data; `tests/test_trimmed_models.py` holds them equal to what this writes.

An operation is kept when its Python name (describe_log_groups) appears in the code as an attribute, a name or
a string, so a call, a paginator and an operation passed by name (`read(clients, "get_bucket_policy", ...)`)
are all seen; a false match only keeps an operation more. A client called for an operation not kept falls back
to the full model (aws.py); the tests forbid that fallback.
Run: `make service-models` (`python -m logbaseline.trimmed_models`).
"""

from __future__ import annotations

import ast
import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

PACKAGE = Path(__file__).resolve().parent
OUTPUT = PACKAGE / "service_models"
REPOSITORY = PACKAGE.parents[2]
# Every caller of the package's clients: its own code, and the tests and benchmarks that call through it.
SOURCES = (PACKAGE, REPOSITORY / "tests", REPOSITORY / "benchmarks")
# Services used through boto3 resources (DynamoDB's Table), whose actions need the whole model.
UNTRIMMED = frozenset({"dynamodb"})
FILE_NAME = "service-2.json.gz"  # botocore reads its own models gzipped too
DROPPED_KEYS = frozenset({"documentation", "documentationUrl", "examples"})


def python_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_dir():
            # not in hidden directories: benchmarks/.venvs holds the peers' own installs (Cloud Custodian's code)
            yield from sorted(
                p
                for p in root.rglob("*.py")
                if "service_models" not in p.parts and not any(d.startswith(".") for d in p.relative_to(root).parts)
            )


def names_in(paths: Iterable[Path]) -> tuple[set[str], set[str]]:
    """(every attribute, name and string constant of the code; the strings passed first to a call of something
    named like a client factory: clients("logs"), session.client("sts"))."""
    names: set[str] = set()
    client_arguments: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if "client" in callee.lower() and isinstance(node.args[0].value, str):
                    client_arguments.add(node.args[0].value)
    return names, client_arguments


def reached_shapes(model: dict[str, Any], operations: dict[str, Any], merged: Iterable[str] = ()) -> set[str]:
    shapes = model["shapes"]
    pending = [ref["shape"] for o in operations.values() for key in ("input", "output") if (ref := o.get(key))]
    pending += [name for name in merged if name in shapes]  # botocore merges its extras into these: kept whole
    pending += [error["shape"] for o in operations.values() for error in o.get("errors", ())]
    pending += [name for name, shape in shapes.items() if shape.get("exception")]  # client.exceptions.X
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        shape = shapes[name]
        pending += [shape[key]["shape"] for key in ("member", "key", "value") if key in shape]
        pending += [member["shape"] for member in shape.get("members", {}).values()]
    return reached


def undocumented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: undocumented(v) for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, list):
        return [undocumented(v) for v in value]
    return value


def trimmed(model: dict[str, Any], names: set[str], merged: Iterable[str] = ()) -> dict[str, Any]:
    """The operations named, the shapes they reach, the shapes named in `merged` and the service's errors; the
    documentation of operations and shapes left out (botocore reads it only for docstrings; other parts, such as
    client context parameters, require theirs)."""
    operations = {name: operation for name, operation in model["operations"].items() if xform_name(name) in names}
    reached = reached_shapes(model, operations, merged)
    shapes = {name: shape for name, shape in model["shapes"].items() if name in reached}
    kept = {key: value for key, value in model.items() if key != "documentation"}
    return kept | {"operations": undocumented(operations), "shapes": undocumented(shapes)}


def service_models(roots: Iterable[Path] = SOURCES) -> dict[str, dict[str, Any]]:
    """{path under service_models/: trimmed model}: the services the package makes clients for, with the
    operations the code under `roots` names."""
    names, _ = names_in(python_files(roots))
    _, client_arguments = names_in(python_files([PACKAGE]))  # the services the package makes clients for
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    available = set(session.get_available_services())
    files = {}
    for service in sorted((client_arguments & available) - UNTRIMMED):
        version = loader.determine_latest_version(service, "service-2")
        model, merged = source_model(loader, service, version)
        files[f"{service}/{version}/{FILE_NAME}"] = trimmed(model, names, merged)
    return files


def source_model(loader: Loader, service: str, version: str) -> tuple[dict[str, Any], set[str]]:
    """botocore's service-2 file as it stands, and the shapes its SDK extras merge into when botocore loads it
    (S3's Expires): loaded from the trimmed file, the extras are merged the same way, so those shapes must be
    there whole."""
    model, _ = loader.load_data_with_path(f"{service}/{version}/service-2")
    try:
        extras = loader.load_data(f"{service}/{version}/service-2.sdk-extras")
    except DataNotFoundError:
        extras = {}
    return model, set(extras.get("merge", {}).get("shapes", {}))


def read(output: Path = OUTPUT) -> dict[str, dict[str, Any]]:
    """The trimmed models written under `output`."""
    return {str(p.relative_to(output)): json.loads(gzip.decompress(p.read_bytes())) for p in output.rglob(FILE_NAME)}


def write(files: dict[str, dict[str, Any]], output: Path = OUTPUT) -> None:
    for old in output.rglob(FILE_NAME) if output.is_dir() else ():
        if str(old.relative_to(output)) not in files:
            old.unlink()
    for relative, model in files.items():
        path = output / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(model, separators=(",", ":"), sort_keys=True)
        path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))  # mtime 0: the same bytes again
    for directory in sorted((p for p in output.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def main() -> int:
    files = service_models()
    write(files)
    size = sum(p.stat().st_size for p in OUTPUT.rglob(FILE_NAME))
    print(f"wrote {len(files)} trimmed service models ({size // 1024} KiB) under {OUTPUT.relative_to(REPOSITORY)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
