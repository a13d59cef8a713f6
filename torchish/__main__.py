"""`python -m torchish run FILE` runs a torch script or notebook on torchish;
`python -m torchish compare FILE` runs it under real torch and under torchish and diffs the output."""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.abc
import importlib.util
import json
import os
import runpy
import subprocess
import sys
import traceback


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers `import torch` / `import torch.nn as nn` / `from torch import autograd` with torchish."""

    def find_spec(self, fullname, path, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            real = "torchish" + fullname[len("torch") :]
            if importlib.util.find_spec(real) is None:
                return None
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("torchish" + spec.name[len("torch") :])

    def exec_module(self, module):
        return None


def install_torch_alias() -> None:
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAlias())
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        del sys.modules[name]


def _cell_source(cell) -> str:
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    # IPython magics and shell escapes have no meaning outside Jupyter
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def _run_cell(source: str, namespace: dict, filename: str) -> None:
    """Execute like a Jupyter cell: statements, then display the last expression's repr if not None."""
    tree = ast.parse(source, filename=filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)
        if value is not None:
            print(repr(value))


def run_notebook(path: str, stop_on_error: bool = False) -> int:
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    namespace = {"__name__": "__main__", "__file__": path}
    status = 0
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell)
        if not source.strip():
            continue
        try:
            _run_cell(source, namespace, f"<cell {i}>")
        except Exception as e:  # Jupyter ends the cell with 'Type: message' and moves on
            sys.stdout.flush()
            print(f"{type(e).__name__}: {e}")
            status = 1
            if stop_on_error:
                return status
        sys.stdout.flush()
    return 0 if not stop_on_error else status


def run_file(path: str, args: list[str], stop_on_error: bool = False) -> int:
    install_torch_alias()
    if path.endswith(".ipynb"):
        return run_notebook(path, stop_on_error)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    except Exception:
        traceback.print_exc()
        return 1
    return 0


def compare(path: str) -> int:
    """Run FILE under real torch and under torchish; print a unified diff of their outputs."""
    import difflib

    def output(use_torchish: bool) -> list[str]:
        code = (
            "import sys; from torchish.__main__ import run_file; sys.exit(run_file(sys.argv[1], []))"
            if use_torchish
            else "import sys, runpy; from torchish.__main__ import run_notebook, _TorchAlias\n"
            "p = sys.argv[1]\n"
            "sys.exit(run_notebook(p) if p.endswith('.ipynb') else (runpy.run_path(p, run_name='__main__') and 0))"
        )
        r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)
        return (r.stdout + r.stderr).splitlines(keepends=True)

    a, b = output(False), output(True)
    diff = list(difflib.unified_diff(a, b, "torch", "torchish"))
    sys.stdout.writelines(diff)
    print("identical" if not diff else f"{sum(1 for d in diff if d.startswith(('+', '-')))} differing lines")
    return 0 if not diff else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="torchish", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a torch .py script or .ipynb notebook on torchish")
    r.add_argument("file")
    r.add_argument("--stop-on-error", action="store_true", help="notebooks: stop at the first failing cell")
    r.add_argument("args", nargs=argparse.REMAINDER)
    c = sub.add_parser("compare", help="run FILE under torch and torchish and diff the outputs")
    c.add_argument("file")
    ns = parser.parse_args(argv)
    if ns.cmd == "run":
        return run_file(ns.file, ns.args, ns.stop_on_error)
    return compare(ns.file)


if __name__ == "__main__":
    sys.exit(main())
