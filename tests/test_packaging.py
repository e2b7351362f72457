"""What `pip install .` / `pipx install .` / `make dist` ship: the wheel holds every module, the report
schema, the `docaudit` command and the built-in connectors' entry points."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_every_module_the_schema_and_the_entry_points(tmp_path):
    # Built from a copy: setuptools reuses a checkout's build/lib, which would hide a package left out.
    source = tmp_path / "source"
    for part in ("docaudit", "connectors"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps"]
        + ["--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("docaudit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for d in ("docaudit", "connectors") for p in (ROOT / d).rglob("*.py")}
    assert sources - names == set(), "add the new package to [tool.setuptools] packages in pyproject.toml"
    assert "docaudit/schemas/report.schema.json" in names
    assert not {n for n in names if n.startswith(("tests/", "fixtures/", "bench/"))}
    meta = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(meta).decode()
    assert "docaudit = docaudit.cli:main" in entry_points
    for kind, module in (("git", "gitrepo"), ("notion", "notion"), ("gdrive", "gdrive"), ("confluence", "confluence")):
        assert f"{kind} = connectors.{module}" in entry_points
