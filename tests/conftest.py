"""Shared fixtures. The embedding model and Chroma are real; the model loads once per session."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

import make_sample  # noqa: E402

from docaudit.config import Config  # noqa: E402
from docaudit.index.store import Embedder, Index  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample.build(tmp_path_factory.mktemp("sample") / "sample-workspace")


def sample_config(index_dir: Path) -> Config:
    config = Config(index=str(index_dir), max_age_days=365, age_policy={"runbooks/": 180})
    return config


@pytest.fixture(scope="session")
def sample_index(sample_repo: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Index:
    """The sample workspace crawled once; tests must not write to it."""
    from docaudit.audit import crawl

    index = Index(sample_config(tmp_path_factory.mktemp("index")), embedder)
    crawl(index, "git", str(sample_repo), index.config)
    return index


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry policy chose, recorded instead of slept."""
    import docaudit.retry

    chosen: list[float] = []
    monkeypatch.setattr(docaudit.retry, "_sleep", chosen.append)
    return chosen


@pytest.fixture
def tmp_index(tmp_path: Path, embedder: Embedder):
    """An empty index in this test's folder, for a config the test builds."""

    def make(config: Config) -> Index:
        config.index = str(tmp_path / "index")
        return Index(config, embedder)

    return make


def git(
    repo: Path, *args: str, when: str = "2026-10-01T12:00:00", author: str = "Ann Author <ann@example.com>"
) -> None:
    env = make_sample.git_env(author, when)
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def commit(repo: Path, files: dict[str, str | bytes], message: str = "edit", **kwargs: str) -> None:
    """Write files (None deletes) and commit them all."""
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", "main")
    for rel, content in files.items():
        path = repo / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", message, **kwargs)


MODEL_FIXTURES = {"embedder", "sample_index", "tmp_index", "crawled"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that load the embedding model are `slow`: `make test-fast` leaves them out."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"chroma server did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=20)
    log.close()
