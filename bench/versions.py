"""How much `docaudit versions` costs beside listing the files it reads, on a generated versioned site.

    python bench/versions.py [--pages 10000]

Makes a Hugo site (hugo.toml with `latest`, 20 release folders and a `next` preview, each with the same
pages) as a git repo under build/bench-versions, then times, in one run, `git ls-files` alone, docaudit's
file listing (which checks every path is a regular file inside the repo), and the whole reading. Prints
ratios: the machine is shared, and an absolute time means little.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_site(dest: Path, pages: int) -> None:
    versions = [f"1.{i}" for i in range(20)] + ["next"]
    per_version = max(1, pages // len(versions))
    for version in versions:
        for n in range(per_version):
            page = dest / "content" / "docs" / version / f"section{n % 25}" / f"page{n}.md"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"---\ntitle: Page {n}\n---\n# Page {n}\n")
    (dest / "hugo.toml").write_text('[params]\nlatest = "1.18"\n')
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(dest), "commit", "-q", "-m", "site"], check=True, env=env)


def best(func, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    args = parser.parse_args()
    from connectors import git_history
    from connectors.gitrepo import _list_files, site_of
    from docaudit.config import Config

    dest = ROOT / "build" / "bench-versions"
    shutil.rmtree(dest, ignore_errors=True)
    make_site(dest, args.pages)
    root = dest.resolve()
    ls_files = best(lambda: subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True))
    listing = best(lambda: _list_files(root, git_history.git_toplevel(root)))
    reading = best(lambda: site_of(str(root), Config()))
    found = site_of(str(root), Config()).reading
    print(f"{args.pages:,} pages, {len(found.folders)} version folders, current {found.main_current().label}")
    print(f"docaudit's listing / git ls-files: {listing / ls_files:.1f}x")
    print(f"whole reading / docaudit's listing: {reading / listing:.1f}x")


if __name__ == "__main__":
    main()
