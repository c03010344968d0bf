"""The client installs alone: ``pip install .`` gives the ``repolink`` client verbs with botocore,
urllib3 and rich, and a client verb loads nothing of the local world (moto, Powertools, boto3,
werkzeug, pydantic, the functions' package, the local package). The local modes say which extra
to install when they are missing."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from repolink_client import cli

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client" / "repolink_client"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: what the client must never load: the local world and the functions' runtime
LOCAL_WORLD = {
    "moto",
    "aws_lambda_powertools",
    "aws_xray_sdk",
    "boto3",
    "werkzeug",
    "pydantic",
    "yaml",
    "cfnlint",
    "samtranslator",
    "cbor2",
    "repolink_local",
    "repolink",
}

#: in a fresh interpreter: ``repolink submit --help``, then ``repolink status ID`` against a
#: stand-in API on a free port (signed, as a deployed stack gets it); what each printed, its exit
#: code, and every top-level module loaded by then
_SCRIPT = """
import contextlib, io, json, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from repolink_client.cli import main

class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"requestId": self.path.rsplit("/", 1)[-1], "status": "succeeded",
                           "signed": self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256")})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
runs = []
for argv in (["submit", "--help"],
             ["status", "rl-" + "0" * 40, "--api-url", f"http://127.0.0.1:{server.server_port}/v1"]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    runs.append({"code": code, "stdout": out.getvalue()})
server.shutdown()
print(json.dumps({"runs": runs, "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert found, requirement
    return found[0].lower().replace("_", "-")


def test_a_client_verb_loads_nothing_of_the_local_world() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    helped, asked = seen["runs"]
    assert helped["code"] == 0
    assert helped["stdout"].startswith("usage: repolink submit")
    assert asked["code"] == 0
    answer = {"requestId": "rl-" + "0" * 40, "status": "succeeded", "signed": True}
    assert json.loads(asked["stdout"]) == answer
    assert {"repolink_client", "botocore", "urllib3", "rich"} <= set(seen["modules"])
    assert LOCAL_WORLD.isdisjoint(seen["modules"]), sorted(LOCAL_WORLD & set(seen["modules"]))


def test_the_base_install_is_botocore_urllib3_and_rich() -> None:
    assert sorted(_name(r) for r in PROJECT["dependencies"]) == ["botocore", "rich", "urllib3"]
    assert PROJECT["scripts"] == {"repolink": "repolink_client.cli:main"}
    assert _name(PROJECT["optional-dependencies"]["dev"][0]) == "repolink"
    assert "[local]" in PROJECT["optional-dependencies"]["dev"][0]


def test_every_import_of_the_client_is_the_standard_library_or_a_base_dependency() -> None:
    base = {_name(r) for r in PROJECT["dependencies"]}
    seen: dict[str, list[str]] = {}
    for path in sorted(CLIENT.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        module_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "repolink_client":
                    continue
                where = "module" if id(node) in module_level else "function"
                seen.setdefault(top, []).append(f"{path.name}:{node.lineno} ({where})")
    # the local modes are imported only inside main, after checking they are installed
    local = seen.pop("repolink_local", [])
    assert local and all(place.startswith("cli.py:") and "(function)" in place for place in local), local
    assert set(seen) <= base, {top: places for top, places in seen.items() if top not in base}
    assert {"botocore", "urllib3", "rich"} <= set(seen)


def test_the_check_for_the_local_modes_covers_every_dependency_of_the_local_extra() -> None:
    provides: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            provides.setdefault(_name(distribution), set()).add(module)
    for requirement in PROJECT["optional-dependencies"]["local"]:
        modules = provides.get(_name(requirement), set())
        assert modules & set(cli.LOCAL_MODULES), f"{requirement}: none of {sorted(modules)} is checked"


@pytest.mark.parametrize(
    "argv", [["local", "run", "x.json"], ["validate", "x.json"], ["local", "serve"], ["local", "--help"]]
)
def test_the_local_modes_missing_say_which_extra_to_install_and_exit_2(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed: find_spec and import fail

    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"repolink {argv[0]}: the local modes are not installed (no module named moto); in a clone of"
        " repolink, make setup installs them (or pip install -e '.[local]' and npm ci --prefix local/iam)\n"
    )
