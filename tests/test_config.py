import re
from pathlib import Path

import pytest

from docaudit.config import Config, load_config
from docaudit.errors import InputError


def test_defaults_when_no_config(tmp_path):
    assert load_config(cwd=tmp_path) == Config()


def test_docaudit_toml_and_age_policy_longest_prefix_wins(tmp_path):
    (tmp_path / "docaudit.toml").write_text('top_k = 8\n[age_policy]\n"runbooks/" = 180\n"runbooks/db/" = 90\n')
    config = load_config(cwd=tmp_path)
    assert config.top_k == 8
    assert config.max_age_for("runbooks/db/failover.md") == 90
    assert config.max_age_for("runbooks/deploy.md") == 180
    assert config.max_age_for("guide.md") == 365


def test_pyproject_tool_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.docaudit]\nmin_score = 0.4\n')
    assert load_config(cwd=tmp_path).min_score == 0.4


def test_unknown_key_names_its_line(tmp_path):
    (tmp_path / "docaudit.toml").write_text("top_k = 5\n\ntop_kk = 3\n")
    with pytest.raises(InputError, match=r"docaudit.toml:3: unknown setting 'top_kk'"):
        load_config(cwd=tmp_path)


def test_wrong_type_names_its_line(tmp_path):
    (tmp_path / "docaudit.toml").write_text('# comment\ntop_k = "five"\n')
    with pytest.raises(InputError, match=r"docaudit.toml:2: 'top_k' must be a whole number"):
        load_config(cwd=tmp_path)


def test_invalid_toml_names_its_line(tmp_path):
    (tmp_path / "docaudit.toml").write_text("top_k = 5\nmax_age_days = \n")
    with pytest.raises(InputError, match=r"docaudit.toml:2: invalid TOML"):
        load_config(cwd=tmp_path)


def test_missing_named_config_file(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


DOCS = Path(__file__).resolve().parents[1] / "docs"


def docs_toml(page: str, heading: str) -> str:
    """The first TOML block of a docs page after `heading`."""
    text = (DOCS / page).read_text()
    block = text[text.index(heading) :]
    return block[block.index("```toml") + len("```toml") : block.index("```\n", block.index("```toml") + 7)]


def test_the_documented_configuration_is_a_valid_config(tmp_path):
    """Every setting the configuration page shows exists and has the type it shows."""
    (tmp_path / "docaudit.toml").write_text(docs_toml("configuration.md", "# Configuration"))
    config = load_config(tmp_path / "docaudit.toml")
    assert (config.smtp.port, config.section("notion").api_version, config.section("gdrive").export_sheets) == (
        587,
        "2025-09-03",
        False,
    )
    assert config.fallback_owners["git:legacy/"] == "platform@example.com"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'top_k = 5\n[retrieval]\n\nmode = "sparse"\n',
            "docaudit.toml:4: 'retrieval.mode' must be one of dense, bm25, hybrid",
        ),
        ('chunk_by = "pages"\n', "docaudit.toml:1: 'chunk_by' must be one of sentences, headings"),
        ('[retrieval]\nbase_url = "ftp://x"\n', "docaudit.toml:2: 'retrieval.base_url' must be an http"),
        (
            '[retrieval]\nembedding = "m"\nbase_url = "http://x/v1"\n',
            "docaudit.toml:3: set either 'retrieval.embedding' or 'retrieval.base_url', not both",
        ),
        ("[retrieval]\nbatch_size = 0\n", "docaudit.toml:2: 'retrieval.batch_size' must be at least 1"),
        ('backend = "gpu"\n', "docaudit.toml:1: 'backend' must be one of torch, torch-bf16, onnx, onnx-int8"),
        (
            'top_k = 5\nbackend = "torch-bf16"\nembed_processes = 4\n',
            "docaudit.toml:3: 'embed_processes' above 1 runs the reference in workers: use it with backend 'torch'",
        ),
    ],
)
def test_retrieval_settings_name_their_line(tmp_path, text, message):
    (tmp_path / "docaudit.toml").write_text(text)
    with pytest.raises(InputError) as failed:
        load_config(cwd=tmp_path)
    assert str(failed.value).startswith(f"{tmp_path / message}")


def test_the_documented_retrieval_example_is_a_valid_config(tmp_path):
    (tmp_path / "docaudit.toml").write_text(docs_toml("retriever.md", "## Mirror the production retriever"))
    config = load_config(tmp_path / "docaudit.toml")
    assert (config.chunk_by, config.retrieval.mode, config.retrieval.api_key_env) == (
        "headings",
        "hybrid",
        "OPENAI_API_KEY",
    )


def test_every_setting_is_documented_on_the_configuration_page():
    from dataclasses import fields

    import connectors
    from docaudit.config import SECTIONS, Config

    readme = (DOCS / "configuration.md").read_text()
    names = [f.name for f in fields(Config) if f.name not in (*SECTIONS, "source", "plugins")]
    names += [f"{section}.{f.name}" for section, kind in SECTIONS.items() for f in fields(kind)]
    for kind in connectors.available():  # built-in connectors that declare their own section
        declared = connectors.settings_type(kind)
        names += [f"{kind}.{f.name}" for f in fields(declared)] if declared else []
    assert "confluence.deprecated_labels" in names
    key = lambda n: re.escape(n.split(".")[-1])  # noqa: E731
    missing = [n for n in names if not re.search(rf"^\s*({key(n)}\s*=|\[{key(n)}\])", readme, re.M)]
    assert missing == []


# Keys no test sets yet: this list may only shrink. A new key must come with a test that uses it.
UNTESTED_KEYS: set[str] = set()


def test_every_setting_is_used_by_some_test():
    """A proxy for "each setting has a test of its effect": its name appears in a test other than this file."""
    from dataclasses import fields

    import connectors
    from docaudit.config import SECTIONS, Config

    names = [f.name for f in fields(Config) if f.name not in (*SECTIONS, "source", "plugins")]
    names += [f"{section}.{f.name}" for section, kind in SECTIONS.items() for f in fields(kind)]
    for kind in connectors.available():
        declared = connectors.settings_type(kind)
        names += [f"{kind}.{f.name}" for f in fields(declared)] if declared else []
    here = Path(__file__).resolve()
    tests = "\n".join(p.read_text() for p in here.parent.glob("test_*.py") if p != here)
    untested = {n for n in names if not re.search(rf"\b{re.escape(n.split('.')[-1])}\b", tests)}
    assert untested - UNTESTED_KEYS == set(), "settings with no test"
    assert UNTESTED_KEYS - untested == set(), "tested now: take them off UNTESTED_KEYS"


def test_the_config_is_found_from_a_subfolder_up_to_the_repository_root(tmp_path, monkeypatch):
    """As ruff and pytest: the nearest docaudit.toml (or [tool.docaudit]) above, never past `.git`."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "docs" / "guides").mkdir(parents=True)
    (project / "docaudit.toml").write_text("top_k = 7\n")
    (tmp_path / "docaudit.toml").write_text("top_k = 9\n")  # outside the repository: never read
    monkeypatch.chdir(project / "docs" / "guides")
    config = load_config()
    assert (config.top_k, config.source) == (7, "../../docaudit.toml")
    assert config.index == "../../.docaudit"  # the project's index, not a new one here
    (project / "docs" / "pyproject.toml").write_text("[tool.docaudit]\ntop_k = 8\nindex = 'idx'\n")
    nearer = load_config()
    assert (nearer.top_k, nearer.source, nearer.index) == (8, "../pyproject.toml", "../idx")
    (project / "docaudit.toml").unlink()
    (project / "docs" / "pyproject.toml").unlink()
    assert load_config().source == ""  # nothing up to the root: defaults, even with one above it


def test_readers_create_no_index_and_the_index_ignores_itself(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from docaudit.cli import cli

    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "no" / "such" / "dir"
    result = CliRunner().invoke(cli, ["docs", "--index", str(missing)])
    assert result.exit_code == 2 and "the index is empty" in result.stderr
    assert not (tmp_path / "no").exists()  # a reader made no folder
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("# A\n\nText.\n")
    assert CliRunner().invoke(cli, ["crawl", "src", "-q"]).exit_code == 0
    assert (tmp_path / ".docaudit" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_every_command_says_which_config_it_read_and_keeps_the_project_files_beside_it(tmp_path, monkeypatch):
    """From a subfolder: the project's config and index are named on stderr (an error stays one line),
    and the acknowledgements land beside the config, where `gate` at the root reads them."""
    from click.testing import CliRunner

    from docaudit.cli import cli

    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "docs" / "guides").mkdir(parents=True)
    (project / "docaudit.toml").write_text("top_k = 7\n")
    monkeypatch.chdir(project / "docs" / "guides")
    args = ["ack", "a.md", "--rule", "missing-owner", "--until", "2030-01-01", "--reason", "r", "--force"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert done.stdout == "Added in ../../.docaudit-acks.yaml: missing-owner on a.md until 2030-01-01\n"
    assert done.stderr == "config: ../../docaudit.toml; index: ../../.docaudit\n"
    assert (project / ".docaudit-acks.yaml").is_file() and not Path(".docaudit-acks.yaml").exists()
    failed = CliRunner().invoke(cli, ["docs"])  # no index yet: the error alone
    assert (failed.exit_code, failed.stderr.count("\n")) == (2, 1)
    named = CliRunner().invoke(cli, [*args[:-1], "--until", "2031-01-01", "--force", "--config", "../../docaudit.toml"])
    assert named.stderr == "config: ../../docaudit.toml; index: ../../.docaudit\n"
