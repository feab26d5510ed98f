"""The Node peers: two npm FHIR translation libraries, each behind a minimal `node:http` server.

`install(folder)` puts both libraries into a scratch folder with npm; `command(name, ...)` is the
command line of `peers/server.cjs` for one of them. Without Node or npm, `install` says why and
the benchmark skips the peer rows.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "peers" / "server.cjs"
CONCEPT_MAP = HERE.parent / "conceptmaps" / "ipg406-coding.json"

# name -> npm spec (pinned: the versions this comparison was written against)
PEERS = {
    "fhir-translate": "@synanetics/fhir-translate@1.2.0",
    "fhir-terminology-runtime": "fhir-terminology-runtime@1.2.1",
}


def install(folder: Path, timeout: float = 300.0) -> str | None:
    """Install the peers into `folder`; None when done, else the reason they are skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "Node.js (node and npm) is not installed: the Node peer rows are skipped"
    folder.mkdir(parents=True, exist_ok=True)
    # --ignore-scripts: @synanetics/fhir-translate's preinstall hook insists on pnpm; the
    # libraries themselves are plain JavaScript and need no build step.
    cmd = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--ignore-scripts"]
    try:
        subprocess.run(
            [*cmd, *PEERS.values()], capture_output=True, text=True, timeout=timeout, check=True
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"npm install of the Node peers failed ({exc}): the Node peer rows are skipped"
    return None


def command(name: str, port: int, folder: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment serving peer `name` on 127.0.0.1:`port`."""
    node = shutil.which("node") or "node"
    cmd = [node, str(SERVER), name, str(port), str(CONCEPT_MAP)]
    return cmd, {"NODE_PATH": str(folder / "node_modules")}
