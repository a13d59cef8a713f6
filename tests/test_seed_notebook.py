"""The seed notebook, run through `python -m torchish run`, prints what the seed shows and what real torch prints."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "autograd_tips.ipynb"
SEEDS = ROOT.parent / "shared" / "seeds"
_ID = re.compile(r"^\d{6,}(?= )", re.M)


def _mask_ids(text: str) -> str:
    return _ID.sub("<id>", text)


def _run(code: str) -> str:
    r = subprocess.run(
        [sys.executable, "-c", code, str(NOTEBOOK)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def _stored_outputs() -> str:
    """What the notebook recorded (transcribed from the seed): stream text and error lines."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                out.append("".join(o["text"]))
            elif o["output_type"] == "error":
                out.append(f"{o['ename']}: {o['evalue']}\n")
    return "".join(out)


def test_notebook_code_is_the_seed_unchanged():
    seed = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8") if SEEDS.exists() else None
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0] == "import torch"
    if seed is not None:
        for src in code:
            assert src in seed
        for line in _stored_outputs().splitlines():
            assert line in seed


def test_torchish_prints_what_the_seed_shows():
    ours = _run("import sys; from torchish.__main__ import main; sys.exit(main(['run', sys.argv[1]]))")
    assert _mask_ids(ours) == _mask_ids(_stored_outputs())
    ids = [int(m) for m in re.findall(r"^(\d{6,}) ", ours, re.M)]
    assert ids[0] != ids[1] and ids[1] == ids[2]  # `a = a + 1` rebinds, `a += 1` keeps the object


def test_torchish_prints_what_real_torch_prints():
    theirs = _run("import sys; from torchish.__main__ import run_notebook; sys.exit(run_notebook(sys.argv[1]))")
    ours = _run("import sys; from torchish.__main__ import main; sys.exit(main(['run', sys.argv[1]]))")
    assert "torchish" not in theirs
    assert _mask_ids(ours) == _mask_ids(theirs)
