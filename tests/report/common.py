"""Shared by the report tests: paths, fixture copies, golden-file comparison."""
import difflib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
LIB = ROOT / "scripts" / "lib"
if str(LIB) not in sys.path:
    sys.path.insert(0, str(LIB))

# FB_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (review the diff!).
UPDATE = os.environ.get("FB_UPDATE_GOLDEN") == "1"


def fixture_copy(name: str) -> tuple:
    """(TemporaryDirectory, path of a private copy of fixtures/<name>)."""
    tmp = tempfile.TemporaryDirectory(prefix=f"fb-report-{name}-")
    dst = Path(tmp.name) / name
    shutil.copytree(FIXTURES / name, dst)
    return tmp, dst


def _compact(name: str, text: str) -> str:
    """Golden JSON is stored compact (one line per top-level key, or per element of a
    top-level list) to keep it small and its diffs readable."""
    if not name.endswith(".json"):
        return text
    doc = json.loads(text)

    def one(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    def value(v):
        if isinstance(v, list) and v:
            return "[\n " + ",\n ".join(one(x) for x in v) + "\n]"
        return one(v)
    if isinstance(doc, dict):
        return "{\n" + ",\n".join(json.dumps(k) + ":" + value(v) for k, v in doc.items()) + "\n}\n"
    return value(doc) + "\n"


def assert_golden(test, name: str, text: str) -> None:
    text = _compact(name, text)
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        test.fail(f"no golden file {path}; run with FB_UPDATE_GOLDEN=1 to create it")
    want = path.read_text()
    if want != text:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                                 f"golden/{name}", "generated", n=1))[:80])
        test.fail(f"{name} differs from its golden file (FB_UPDATE_GOLDEN=1 regenerates it):\n{diff}")


def script_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(LIB) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
