"""Every option of every command, run, and its effect seen; the cases are checked against the CLI's own model.

Each (command, option) pair the CLI declares needs an entry in `effects()`: the arguments that set it
and what the run with them shows that the command's plain run does not. An option added without an
entry fails `test_every_option_has_an_effect_case`; an option that stops doing anything fails its own
case, because the two runs must differ and the difference must be the one the case names. A few
effects need a service of their own (a Notion workspace for `crawl --full`) and are named by the test
that shows them (ELSEWHERE), which must exist and pass the option.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import commit

from docaudit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "fixtures" / "docaudit.toml"
NOW = ["--now", "2026-11-20"]
TINY_DOC = "handbook/tiny-only.md"  # a stale doc only the Chroma server holds


@dataclass
class Seen:
    """What a run leaves to look at: exit code, both streams (without the config line) and the files it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    files: dict[str, str]

    def report(self) -> dict:
        """The JSON report the command printed or wrote."""
        written = [text for name, text in self.files.items() if name.endswith(".json")]
        return json.loads(written[0] if written else self.stdout)

    def findings(self) -> list[tuple[str, str]]:
        return sorted((f["rule"], f["doc"]["path"]) for f in self.report()["findings"])

    def probes(self) -> int:
        return self.report()["summary"]["probes"]

    def text(self) -> str:
        return self.stdout + "".join(self.files.values())


@dataclass
class Ctx:
    """One case's workspace (the working directory, with its own config copy) and the shared indexes."""

    work: Path
    config: str
    index: str
    sample: str
    tiny: str
    chroma_url: str
    fresh: str  # an index no one has written, for crawl's cases

    def write(self, name: str, text: str) -> str:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return name


Args = Callable[[Ctx], list[str]]
Shows = Callable[[Seen, Seen, Ctx], bool]


def nothing(c: Ctx) -> list[str]:
    return []


@dataclass(frozen=True)
class Case:
    args: Args
    shows: Shows  # (plain run, run with the option, ctx): the effect is there
    against: Args = nothing  # arguments both runs share, when the effect needs a setting to show
    output_alike: bool = False  # the effect is only elsewhere (an index it wrote): `shows` looks there


def invoke(args: list[str]) -> click.testing.Result:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def run(c: Ctx, args: list[str]) -> Seen:
    before = _files(c.work)
    result = invoke(args)
    written = {name: text for name, text in _files(c.work).items() if before.get(name) != text}
    stderr = "".join(line for line in result.stderr.splitlines(True) if not line.startswith("config: "))
    return Seen(result.exit_code, result.stdout, stderr, written)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith("index")
    }


def listing(c: Ctx, *where: str) -> str:
    """What an index holds, as `docs` lists it (or why it cannot)."""
    shown = invoke(["docs", "--format", "json", "--config", c.config, *where])
    return shown.stdout or shown.stderr


def reads(c: Ctx) -> list[str]:
    return ["--config", c.config, "--index", c.index, *NOW]


BASE: dict[str, Args] = {
    "crawl": lambda c: ["crawl", c.tiny, "--config", c.config, "--index", c.fresh],
    "audit": lambda c: ["audit", *reads(c), "--format", "json"],
    "gate": lambda c: ["gate", c.sample, *reads(c), "--format", "json"],
    "baseline": lambda c: ["baseline", c.sample, *reads(c)],
    "docs": lambda c: ["docs", "--sort", "risk", "--format", "json", *reads(c)],
    "report": lambda c: ["report", "--format", "json", *reads(c)],
    "ack": lambda c: (
        ["ack", "runbooks/deploy.md", "--rule", "stale-surfaces", "--until", "2027-01-01", "--reason", "soon"]
        + reads(c)
    ),
    "digest": lambda c: ["digest", *reads(c)],
    "versions": lambda c: ["versions", c.sample],
}

# ---- what an option shows, by what the command writes -------------------------------------------------


def differs(plain: Seen, seen: Seen, c: Ctx) -> bool:
    return (plain.exit_code, plain.stdout, plain.files) != (seen.exit_code, seen.stdout, seen.files)


def said_empty(plain: Seen, seen: Seen, c: Ctx) -> bool:
    return seen.exit_code == 2 and "the index is empty" in seen.stderr and plain.exit_code != 2


def has_tiny(plain: Seen, seen: Seen, c: Ctx) -> bool:
    return TINY_DOC in seen.text() and TINY_DOC not in plain.text()


def fewer_probes(plain: Seen, seen: Seen, c: Ctx) -> bool:
    return 0 < seen.probes() < plain.probes()


def other_findings(plain: Seen, seen: Seen, c: Ctx) -> bool:
    return seen.findings() != plain.findings()


def one_probe(c: Ctx) -> list[str]:
    return ["--probes", c.write("one.yaml", "- query: How do I reimburse an expense?\n")]


def questions(c: Ctx) -> list[str]:
    asked = "question\nWhat does the 2021 billing spec say about invoices?\nHow do I fail over the database?\n"
    return ["--probes-from", c.write("asked.csv", asked)]


def acks(c: Ctx) -> list[str]:
    text = "- doc: billing/billing-spec-2021.md\n  rule: rank-inversion\n  until: 2027-06-01\n  reason: archiving\n"
    return ["--acks", c.write("elsewhere/acks.yaml", text)]


def strict(c: Ctx) -> list[str]:
    return ["--config", c.write("strict/docaudit.toml", "max_age_days = 30\n")]


def empty_index(c: Ctx) -> list[str]:
    return ["--index", str(c.work / "index-empty")]


def served(c: Ctx) -> list[str]:
    return ["--chroma-url", c.chroma_url]


# The probe and index options every reading command shares. Commands that write a JSON report (`report`)
# are held to the exact effect; the others (baseline, docs, digest) to a changed output.
def shared_cases(report: bool) -> dict[str, Case]:
    def exact(shows: Shows) -> Shows:
        return shows if report else differs

    inversion = ("rank-inversion", "billing/billing-spec-2021.md")
    acked: Shows = lambda p, s, c: inversion in p.findings() and inversion not in s.findings()  # noqa: E731
    return {
        "--config": Case(strict, exact(lambda p, s, c: len(s.findings()) > len(p.findings()))),
        "--index": Case(empty_index, said_empty),
        "--chroma-url": Case(served, has_tiny),
        "--collection": Case(
            lambda c: ["--collection", "second"],
            exact(lambda p, s, c: s.report()["summary"]["retrievers"] == ["collection:second"]),
        ),
        "--probes": Case(one_probe, exact(lambda p, s, c: s.probes() == 1 < p.probes())),
        "--probes-from": Case(questions, exact(lambda p, s, c: s.probes() == p.probes() + 2)),
        "--top-k": Case(lambda c: ["--top-k", "1"], exact(other_findings)),
        "--acks": Case(acks, exact(acked)),
        "--probes-per-doc": Case(lambda c: ["--probes-per-doc", "0"], exact(fewer_probes)),
        "--sample": Case(lambda c: ["--sample", "2"], exact(fewer_probes)),
        "--retriever": Case(
            lambda c: ["--retriever", "docaudit:bm25"],
            exact(lambda p, s, c: s.report()["summary"]["retrievers"] == ["docaudit:bm25"]),
        ),
        "--now": Case(lambda c: ["--now", "2029-01-01"], exact(lambda p, s, c: len(s.findings()) > len(p.findings()))),
    }


def output_cases() -> dict[str, Case]:
    """audit's and gate's output options."""
    return {
        "--format": Case(
            lambda c: ["--format", "concise"],
            lambda p, s, c: re.search(r"^\S+:\d*:? ?(error|warning) ", s.stdout, re.M) is not None,
        ),
        "--output": Case(
            lambda c: ["--output", "out.json"],
            lambda p, s, c: s.stdout == "" and "findings" in json.loads(s.files["out.json"]),
        ),
        "--report": Case(
            lambda c: ["--report", "r.sarif"], lambda p, s, c: json.loads(s.files["r.sarif"])["version"] == "2.1.0"
        ),
        "--summary": Case(lambda c: ["--summary", "sum.md"], lambda p, s, c: "error" in s.files["sum.md"]),
        "--fail-on": Case(lambda c: ["--fail-on", "never"], lambda p, s, c: (p.exit_code, s.exit_code) == (1, 0)),
        "-q": Case(lambda c: ["-q"], lambda p, s, c: s.stdout == "" != p.stdout and s.exit_code == p.exit_code),
        "--color": Case(
            lambda c: ["--color", "always"],
            lambda p, s, c: "\x1b[" in s.stdout and "\x1b[" not in p.stdout,
            against=lambda c: ["--format", "concise"],
        ),
    }


def effects() -> dict[tuple[str, str], Case]:
    cases: dict[tuple[str, str], Case] = {}
    for command in ("audit", "gate", "baseline", "docs", "report", "digest"):
        for option, case in shared_cases(report=command in ("audit", "gate", "report")).items():
            cases[command, option] = case
    for command in ("gate", "baseline"):  # they crawl PATH first: a new index is filled, not refused
        cases[command, "--index"] = Case(
            empty_index, lambda p, s, c: "runbooks/deploy.md" in listing(c, *empty_index(c)), output_alike=True
        )
    for command in ("audit", "gate"):
        for option, case in output_cases().items():
            cases[command, option] = case
    cases["gate", "--baseline"] = Case(
        lambda c: ["--baseline", _baseline(c)], lambda p, s, c: (p.exit_code, s.exit_code, s.findings()) == (1, 0, [])
    )
    cases["gate", "--changed-since"] = Case(
        lambda c: ["--changed-since", "HEAD"], lambda p, s, c: s.findings() == [] != p.findings()
    )
    cases["baseline", "--output"] = Case(
        lambda c: ["--output", "mine.json"],
        lambda p, s, c: list(s.files) == ["mine.json"] and list(p.files) == [".docaudit-baseline.json"],
    )
    cases["docs", "--format"] = Case(
        lambda c: ["--format", "table"], lambda p, s, c: not s.stdout.startswith(("[", "{"))
    )
    cases["docs", "--sort"] = Case(
        lambda c: ["--sort", "path"], lambda p, s, c: _paths(s) == sorted(_paths(s)) != _paths(p)
    )
    cases["report", "--format"] = Case(
        lambda c: ["--format", "markdown"], lambda p, s, c: list(s.files) == ["docaudit-report.md"]
    )
    cases["report", "-o"] = Case(lambda c: ["-o", "mine.json"], lambda p, s, c: list(s.files) == ["mine.json"])
    for command in ("report", "digest"):
        cases[command, "--from"] = Case(
            lambda c: ["--from", _old_report(c)],
            lambda p, s, c: "2029-01-01" in s.text() and "2029-01-01" not in p.text(),
        )
    cases["digest", "--out"] = Case(
        lambda c: ["--out", "mail"], lambda p, s, c: {n.split("/")[0] for n in s.files} == {"mail"}
    )
    cases["digest", "--send"] = Case(
        lambda c: ["--send", "slack"], lambda p, s, c: s.exit_code == 2 and "SLACK_BOT_TOKEN" in s.stderr
    )
    cases["digest", "--dry-run"] = Case(
        lambda c: ["--dry-run"],
        lambda p, s, c: (
            p.exit_code == 2 and s.exit_code == 0 and list(json.loads(s.stdout)) == ["slack"] and not s.files
        ),
        against=lambda c: ["--send", "slack"],
    )
    cases.update(_ack_cases())
    cases.update(_crawl_cases())
    cases["versions", "--format"] = Case(
        lambda c: ["--format", "json"], lambda p, s, c: "current" in json.loads(s.stdout)
    )
    cases["versions", "--config"] = Case(
        lambda c: ["--config", c.write("v.toml", '[versions]\ncurrent = "v1"\n')],
        lambda p, s, c: "current: v1" in s.stdout and "current: v1" not in p.stdout,
    )
    return cases


def _ack_cases() -> dict[tuple[str, str], Case]:
    def acks_text(s: Seen) -> str:
        return "".join(text for name, text in s.files.items() if name.endswith(".yaml"))

    return {
        ("ack", "--rule"): Case(
            lambda c: ["--rule", "rank-inversion"], lambda p, s, c: "rule: rank-inversion" in acks_text(s)
        ),
        ("ack", "--until"): Case(lambda c: ["--until", "2027-03-01"], lambda p, s, c: "2027-03-01" in acks_text(s)),
        ("ack", "--reason"): Case(
            lambda c: ["--reason", "moving to Notion"], lambda p, s, c: "moving to Notion" in acks_text(s)
        ),
        ("ack", "--acks"): Case(
            lambda c: ["--acks", "team-acks.yaml"], lambda p, s, c: list(s.files) == ["team-acks.yaml"]
        ),
        ("ack", "--force"): Case(
            lambda c: ["--force"],
            lambda p, s, c: (p.exit_code, s.exit_code) == (2, 0),
            against=lambda c: ["--until", "2026-01-01"],  # not after --now: refused unless forced
        ),
        ("ack", "--now"): Case(lambda c: ["--now", "2027-02-01"], lambda p, s, c: (p.exit_code, s.exit_code) == (0, 2)),
        ("ack", "--config"): Case(strict, lambda p, s, c: list(s.files) == ["strict/.docaudit-acks.yaml"]),
        ("ack", "--index"): Case(empty_index, said_empty),
        ("ack", "--chroma-url"): Case(  # the server holds no runbooks/deploy.md
            served, lambda p, s, c: (p.exit_code, s.exit_code) == (0, 2) and "not a doc in the index" in s.stderr
        ),
    }


def _crawl_cases() -> dict[tuple[str, str], Case]:
    def indexed(s: Seen) -> str:
        return s.files["(index)"]

    return {
        ("crawl", "--source"): Case(
            lambda c: ["--source", "notion"], lambda p, s, c: s.exit_code == 2 and "NOTION_TOKEN" in s.stderr
        ),
        ("crawl", "--space"): Case(
            lambda c: ["--space", "team-handbook"],
            lambda p, s, c: '"git:team-handbook' in indexed(s) and p.exit_code == 0,
        ),
        ("crawl", "-q"): Case(lambda c: ["-q"], lambda p, s, c: s.stdout == "" != p.stdout),
        ("crawl", "--config"): Case(
            lambda c: ["--config", c.write("small/docaudit.toml", "max_file_bytes = 60\n")],
            lambda p, s, c: "huge file" in s.stderr and "huge file" not in p.stderr,
        ),
        ("crawl", "--index"): Case(empty_index, lambda p, s, c: "the index is empty" in indexed(s) != indexed(p)),
        ("crawl", "--chroma-url"): Case(
            served, lambda p, s, c: "the index is empty" in indexed(s) and TINY_DOC in listing(c, *served(c))
        ),
    }


# Effects that need a service of their own, shown by the named test (which must pass the option).
ELSEWHERE = {
    ("crawl", "--full"): "test_notion.py::test_cli_crawls_a_workspace_and_reports_skips",
}


def _paths(s: Seen) -> list[str]:
    return [d["path"] for d in json.loads(s.stdout)]


def _baseline(c: Ctx) -> str:
    assert invoke(["baseline", c.sample, *reads(c), "--output", "known.json"]).exit_code == 0
    return "known.json"


def _old_report(c: Ctx) -> str:
    made = invoke(
        ["audit", "--config", c.config, "--index", c.index, "--now", "2029-01-01", "--report", "old.json", "-q"]
    )
    assert made.exit_code == 1, made.output
    return "old.json"


# ---- fixtures and the tests ---------------------------------------------------------------------------


def declared() -> list[tuple[str, str]]:
    return [
        (name, param.opts[0])
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param, click.Option) and param.opts[0] != "--help"
    ]


def test_every_option_has_an_effect_case():
    cases = {**effects(), **ELSEWHERE}
    assert [pair for pair in declared() if pair not in cases] == [], "options with no effect case"
    assert [pair for pair in cases if pair not in declared()] == [], "cases for options the CLI no longer has"
    for (command, option), where in ELSEWHERE.items():
        path, name = where.split("::")
        source = (ROOT / "tests" / path).read_text()
        body = source.split(f"def {name}(", 1)[1].split("\ndef ", 1)[0]
        assert f'"{command}"' in body and f'"{option}"' in body, where


@pytest.fixture(scope="module")
def shared(sample_repo, tmp_path_factory, embedder, chroma_url):
    """The sample crawled into an index (plus a second collection), and a tiny repo crawled into a Chroma server."""
    top = tmp_path_factory.mktemp("effects")
    index = str(top / "index")
    crawled = invoke(["crawl", str(sample_repo), "--config", str(CONFIG), "--index", index, "-q"])
    assert crawled.exit_code == 0, crawled.output
    tiny = top / "tiny"
    body = "# Team handbook\n\nHow we plan our week and who runs the standup. " * 3
    commit(tiny, {TINY_DOC: body, "handbook/intro.md": "# Intro\n\nWelcome.\n"}, when="2019-03-01T12:00:00")
    served = invoke(["crawl", str(tiny), "--config", str(CONFIG), "--chroma-url", chroma_url, "-q"])
    assert served.exit_code == 0, served.output
    _second_collection(index, embedder, sample_repo)
    return index, str(sample_repo), str(tiny), chroma_url


def _second_collection(index: str, embedder, sample_repo: Path) -> None:
    """Another pipeline's collection in the same store: two of the sample's docs, chunked its own way."""
    import chromadb

    texts = {p: (sample_repo / p).read_text() for p in ("runbooks/deploy.md", "billing/billing-spec-2021.md")}
    collection = chromadb.PersistentClient(index).get_or_create_collection("second", embedding_function=None)
    collection.add(
        ids=list(texts),
        documents=list(texts.values()),
        embeddings=[[float(x) for x in v] for v in embedder.encode(list(texts.values()))],
        metadatas=[{"file_path": str(sample_repo / p), "file_name": Path(p).name} for p in texts],
    )


@pytest.mark.parametrize("pair", sorted(effects()), ids=" ".join)
def test_each_option_has_its_effect(pair, shared, tmp_path, monkeypatch):
    command, option = pair
    index, sample, tiny, chroma_url = shared
    monkeypatch.chdir(tmp_path)
    for name in ("NOTION_TOKEN", "SLACK_BOT_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "docaudit.toml"
    config.write_text(CONFIG.read_text())  # a copy alone: probes are generated, acks land here
    c = Ctx(tmp_path, str(config), index, sample, tiny, chroma_url, str(tmp_path / "index-fresh"))
    case = effects()[pair]
    other = replace(c, fresh=str(tmp_path / "index-plain"))  # crawl's plain run writes an index of its own
    plain = run(other, BASE[command](other) + case.against(other))
    seen = run(c, BASE[command](c) + case.against(c) + case.args(c))
    if command == "crawl":
        plain.files["(index)"] = listing(c, "--index", other.fresh)
        seen.files["(index)"] = listing(c, "--index", c.fresh)
    if not case.output_alike:
        assert differs(plain, seen, c) or plain.stderr != seen.stderr, f"{command} {option} changed nothing"
    assert case.shows(plain, seen, c), (
        plain.exit_code,
        plain.stdout[-800:],
        seen.exit_code,
        seen.stdout[-800:],
        seen.stderr,
    )
