"""`docaudit versions` on real sites' version skeletons (fixtures/sites, each with its SOURCE.md and truth.yaml).

Each skeleton is materialised as its repo would be checked out: a placeholder page for every path in
tree.txt, the version-declaring files verbatim over them, one git commit. Every folder's status must
match truth.yaml (older and archived alike: both are superseded), and every `file:line` a reason cites
must exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from connectors.gitrepo import site_of
from docaudit.config import Config

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
NAMES = sorted(p.name for p in SITES.iterdir() if (p / "truth.yaml").is_file())


def materialise(site: Path, dest: Path) -> None:
    shutil.copytree(site / "files", dest, symlinks=True)
    for line in (site / "tree.txt").read_text().splitlines():
        rel = line.strip()
        if not rel or rel.startswith("#") or rel.endswith("/") or ".." in rel.split("/"):
            continue
        path = dest / rel
        if path.exists() or any(p.is_symlink() for p in path.parents if dest in p.parents):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        title = path.stem.replace("-", " ")
        path.write_text(f"---\ntitle: {title}\n---\n\n# {title}\n" if rel.endswith((".md", ".mdx")) else title)
    env = {"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@example.com", "GIT_COMMITTER_NAME": "x",
           "GIT_COMMITTER_EMAIL": "x@example.com", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "add", "-A", "-f"], check=True, env=env)
    subprocess.run(["git", "-C", str(dest), "commit", "-q", "-m", "snapshot"], check=True, env=env)


def kind(status: str) -> str:
    return "older" if status in ("older", "archived") else status


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for name in NAMES:
        dest = tmp_path_factory.mktemp("sites") / name
        materialise(SITES / name, dest)
        out[name] = (dest, site_of(str(dest), Config()).reading)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_the_reading_of_each_real_site_matches_its_truth(name: str, readings: dict) -> None:
    truth = yaml.safe_load((SITES / name / "truth.yaml").read_text())
    _, reading = readings[name]
    got = reading.to_json()
    assert got["current_folder"] == truth["current_folder"]
    statuses = {v["folder"]: kind(v["status"]) for v in got["versions"]}
    wrong = {
        v["folder"]: (statuses.get(v["folder"]), v["status"])
        for v in truth["versions"]
        if statuses.get(v["folder"]) != kind(v["status"])
    }
    assert wrong == {}


@pytest.mark.parametrize("name", NAMES)
def test_every_reason_cites_a_line_that_exists(name: str, readings: dict) -> None:
    root, reading = readings[name]
    for folder in reading.folders:
        assert folder.why, folder.folder
        for rel, line in re.findall(r"([\w@./-]+\.\w+):(\d+)\b", folder.why):
            lines = (root / rel).read_text(errors="replace").splitlines()
            assert 1 <= int(line) <= len(lines), (folder.folder, folder.why)
