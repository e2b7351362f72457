"""Weekly digests: one person across sources, only what is new, what to do, who may see what, and mail that is never lost."""

from __future__ import annotations

import socket
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from conftest import NOW

from docaudit.cli import cli
from docaudit.config import Config
from docaudit.digests import delivery, digest, mail
from docaudit.owners import Identities, Person, can_read
from docaudit.records import Doc, Finding, Marker, Owner, Severity

ROOT = Path(__file__).resolve().parents[1]
PROBES = str(ROOT / "fixtures" / "probes.yaml")


def doc(source: str, title: str, owner: Owner | None, permissions: list[str] | None = None, path: str = "") -> Doc:
    return Doc(
        source,
        "ws",
        title.lower(),
        title,
        f"text of {title}",
        path=path or title,
        owner=owner,
        permissions=permissions or [],
    )


def identities() -> Identities:
    config = Config(
        aliases={"priya@example.com": ["notion:u-priya", "p.raman@old-example.com", "Priya R."]},
        fallback_owners={"gdrive": "drive-admins@example.com", "git:legacy/": "platform@example.com"},
    )
    return Identities(config)


def test_one_person_across_sources_and_fallbacks_for_the_unowned():
    people = identities()
    from_notion = people.owner_of(doc("notion", "A", Owner("Priya Raman", "", "Owner property", "notion:u-priya")))
    from_git = people.owner_of(doc("git", "B", Owner("Priya R.", "p.raman@old-example.com", "frontmatter")))
    from_drive = people.owner_of(doc("gdrive", "C", Owner("Priya Raman", "PRIYA@example.com", "Drive owner")))
    assert from_notion.key == from_git.key == from_drive.key == "priya@example.com"
    assert from_git.label() == "Priya Raman <priya@example.com>"  # the first name seen for the person sticks
    assert people.owner_of(doc("gdrive", "D", None)).key == "drive-admins@example.com"
    assert people.owner_of(doc("git", "E", None, path="legacy/old.md")).key == "platform@example.com"
    assert people.owner_of(doc("git", "F", None, path="guides/x.md")) is None


def test_digest_has_only_the_owners_items_each_with_an_action_and_respects_who_can_read():
    people = identities()
    priya = Owner("Priya Raman", "priya@example.com")
    old = doc("notion", "Webhooks spec 2021", priya)
    current = doc("gdrive", "Secret M&A plan", Owner("Marco", "marco@example.com"), ["user:marco@example.com"])
    shared = doc("gdrive", "Q3 migration", Owner("Marco", "marco@example.com"), ["domain:example.com"])
    findings = [
        Finding(
            "rank-inversion", Severity.error, old, "'Webhooks spec 2021' outranks 'Secret M&A plan'", related=[current]
        ),
        Finding(
            "conflict",
            Severity.warning,
            doc("git", "FAQ", priya),
            "FAQ disagrees with 'Q3 migration'",
            related=[shared],
        ),
        Finding("missing-owner", Severity.warning, doc("gdrive", "Orphan", None), "'Orphan' has no owner"),
        Finding("stale-surfaces", Severity.warning, doc("git", "Nobody's", None, path="guides/x.md"), "old"),
    ]
    digests, orphans = digest.build(findings, people, {}, NOW)
    assert [d.person.key for d in digests] == ["drive-admins@example.com", "priya@example.com"]
    assert [f.doc.title for f in orphans] == ["Nobody's"]
    mine = digests[1]
    assert [i.finding.rule for i in mine.items] == ["rank-inversion", "conflict"]
    inversion, conflict = mine.items
    assert inversion.action.startswith(
        "Add a superseded-by link to 'a document you cannot access (owner: Marco <marco@example.com>)'"
    )
    assert conflict.action.startswith("Make it agree with 'Q3 migration'")  # the whole domain may read that one
    assert inversion.acks == [
        "docaudit ack 'Webhooks spec 2021' --rule rank-inversion --until 2027-02-18 --reason '...'"
    ]
    text = digest.to_markdown(mine, NOW)
    assert "Secret M&A plan" not in text and "Secret M&amp;A plan" not in digest.to_html(mine, NOW)
    assert "'Webhooks spec 2021' outranks 'a document you cannot access'" in text


def test_one_doc_is_one_item_with_one_action_and_a_fallback_is_told_why():
    """A drifted copy with a conflict and no owner is one thing to do (archive it), not three items;
    the other doc is named by where it lives when it has the same title; the fallback hears why."""
    people = identities()
    copy = replace(
        doc("git", "Code Review Guidelines", None), id="legacy/cr.md", path="legacy/code-review-guidelines.md"
    )
    priya = Owner("Priya Raman", "priya@example.com")
    current = replace(doc("git", "Code Review Guidelines", priya), id="engineering/cr.md", path="engineering/cr.md")
    findings = [
        Finding("conflict", Severity.warning, copy, "says 2 approvals", related=[current]),
        Finding("duplicate", Severity.warning, copy, "a near copy", related=[current]),
        Finding("missing-owner", Severity.warning, copy, "no owner"),
    ]
    digests, orphans = digest.build(findings, people, {}, NOW)
    assert orphans == [] and [d.person.key for d in digests] == ["platform@example.com"]
    (item,) = digests[0].items
    assert [f.rule for f in item.findings] == ["conflict", "duplicate", "missing-owner"]
    assert item.action == "Archive it: it is an older copy of 'Code Review Guidelines (git: engineering/cr.md)'."
    assert item.why_you == "nobody owns it, and fallback_owners sends unowned docs of git:legacy/ to you"
    assert [a.split(" --until")[0] for a in item.acks] == [
        f"docaudit ack legacy/code-review-guidelines.md --rule {rule}"
        for rule in ("conflict", "duplicate", "missing-owner")
    ]
    text = digest.to_markdown(digests[0], NOW)
    assert "Nobody owns these documents, and docaudit's config (fallback_owners) names you for them." in text
    assert "documents of yours" not in text and text.count("\n## ") == 1
    page = digest.to_html(digests[0], NOW)
    assert "<style>" in page and "<h2>Code Review Guidelines</h2>" in page  # the list numbers it, once
    state = digest.remember({}, digests, findings, people)
    assert len(state["platform@example.com"]) == 3  # each finding is remembered: one coming back is news


def test_only_new_or_changed_items_come_again():
    people = identities()
    priya = Owner("Priya Raman", "priya@example.com")
    first = [Finding("stale-surfaces", Severity.warning, doc("git", "A", priya), "edited 400 days ago")]
    built, _ = digest.build(first, people, {}, NOW)
    state = digest.remember({}, built, first, people)
    again, _ = digest.build(first, people, state, NOW)
    assert (again[0].items, again[0].unchanged) == ([], 1)
    older = [Finding("stale-surfaces", Severity.warning, doc("git", "A", priya), "edited 500 days ago")]
    week_later, _ = digest.build(older, people, state, NOW)
    assert (week_later[0].items, week_later[0].unchanged) == ([], 1)  # a day count is not news
    marked = doc("git", "A", priya)
    marked.markers.append(Marker("deprecated", "true", "frontmatter"))
    changed = [Finding("stale-surfaces", Severity.warning, marked, "edited 500 days ago")]
    later, _ = digest.build(changed, people, state, NOW)
    assert [i.status for i in later[0].items] == ["changed"]  # its status is
    assert digest.remember(state, [], [], people) == {}  # a finding that went away is forgotten


def test_file_names_from_owners_cannot_escape_the_folder(tmp_path):
    person = Person("../../etc/x", "../../etc/x", "")
    hostile = digest.Digest(
        person,
        [
            digest.Item(
                [Finding("stale-surfaces", Severity.warning, doc("git", "A", None), "m")], "a", ["c"], "A", "", "new"
            )
        ],
    )
    folder = tmp_path / "out"
    written, failed = mail.write([hostile], folder, NOW, "docaudit@example.com")
    assert failed == {}
    assert [p.parent for p in written] == [folder.resolve()]
    assert sorted(p.name for p in folder.iterdir()) == [f"{hostile.file_stem}{s}" for s in (".eml", ".html", ".md")] + [
        "outbox"
    ]
    assert not (tmp_path / "etc").exists() and "/" not in hostile.file_stem and not hostile.file_stem.startswith(".")
    assert list((folder / "outbox").iterdir()) == []  # no address: written, not queued


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def workdir(tmp_path, monkeypatch, sample_index):
    monkeypatch.chdir(tmp_path)
    port = free_port()
    (tmp_path / "docaudit.toml").write_text(
        f'index = "{sample_index.config.index}"\n'
        '[fallback_owners]\n"git:legacy/" = "platform@example.com"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\nsender = "docaudit@example.com"\n'
    )
    return tmp_path, port


def test_digest_command_writes_sends_and_keeps_what_failed(workdir):
    folder, port = workdir
    runner = CliRunner()
    args = ["digest", "--probes", PROBES, "--now", "2026-11-20", "--out", "digests"]
    result = runner.invoke(cli, [*args, "--send"])  # nothing listens on the port yet
    assert result.exit_code == 2
    assert result.stderr.startswith(f"docaudit: error: sending failed: 127.0.0.1:{port}: ConnectionRefusedError")
    assert "the digests stay in digests/outbox and go out on the next --send" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Dana Whitfield <dana@example.com>: 1 doc (1 new, 0 changed), 0 unchanged left out")
    assert "Wrote 4 digests to digests\n" in result.stdout  # Platform Team's includes legacy/, its fallback
    assert len(list((folder / "digests" / "outbox").iterdir())) == 4

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = runner.invoke(cli, [*args, "--send"])  # a week later, nothing new; the queue goes out
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "Wrote 0 digests to digests; 4 owners have nothing new" in result.stdout
    assert result.stdout.endswith("Sent 4 digests\n")
    assert sorted(to[0] for to, _ in inbox.messages) == [
        "dana@example.com",
        "platform@example.com",
        "sre@example.com",
        "support-ops@example.com",
    ]
    assert list((folder / "digests" / "outbox").iterdir()) == []
    to, message = next((to, m) for to, m in inbox.messages if to == ["dana@example.com"])
    assert message["Subject"] == "docaudit: 1 doc to look at (week of 2026-11-20)"
    body = message.get_body(("plain",)).get_content()
    assert "**Do this** (new): Add a superseded-by link to 'Billing Migration Plan — Q3 2026'" in body
    assert message.get_body(("html",)).get_content().startswith("<!doctype html>")


def test_acknowledged_findings_stay_out_of_digests(workdir):
    folder, _ = workdir
    runner = CliRunner()
    ack = [
        "ack",
        "runbooks/database-failover.md",
        "--rule",
        "review-expired",
        "--until",
        "2027-01-31",
        "--reason",
        "Q1",
        "--now",
        "2026-11-20",
    ]
    assert runner.invoke(cli, ack).exit_code == 0
    result = runner.invoke(cli, ["digest", "--probes", PROBES, "--now", "2026-11-20"])
    assert result.exit_code == 0
    assert "SRE Team" not in result.stdout
    written = sorted(p.name for p in (folder / "digests").glob("*.md"))
    assert written and "dana@example.com" in " ".join(written)  # the others still got theirs
    assert not any("sre@example.com" in name for name in written)


def test_can_read_follows_drive_permissions():
    person = Person("ann@example.com", "Ann", "ann@example.com")
    assert can_read(person, doc("git", "A", None))  # a source that says nothing: readable
    assert can_read(person, doc("gdrive", "B", None, ["domain:example.com"]))
    assert can_read(person, doc("gdrive", "C", None, ["anyone"]))
    assert not can_read(person, doc("gdrive", "D", None, ["user:bob@example.com", "group:eng@example.com"]))


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, the certificate doubling as the CA that signs it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_is_verified_and_login_uses_the_password_from_the_environment(tmp_path, monkeypatch):
    import ssl

    from aiosmtpd.smtp import AuthResult

    from docaudit.config import SmtpSettings

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-from-env")

    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticate, auth_require_tls=True,
    )  # fmt: skip
    folder = tmp_path / "digests"
    person = Person("ann@example.com", "Ann", "ann@example.com")
    item = digest.Item(
        [Finding("stale-surfaces", Severity.warning, doc("git", "A", None), "m")], "a", ["c"], "A", "", "new"
    )
    assert mail.write([digest.Digest(person, [item])], folder, NOW, "docaudit@example.com")[1] == {}
    settings = SmtpSettings(host="127.0.0.1", port=port, user="docaudit", sender="docaudit@example.com")
    monkeypatch.setenv(settings.password_env, "s3cret-from-env")
    controller.start()
    try:
        untrusted = mail.send_outbox(folder, settings)  # the system's CAs do not know this certificate
        trusted = mail.send_outbox(folder, SmtpSettings(**{**settings.__dict__, "ca_file": str(cert)}))
    finally:
        controller.stop()
    assert untrusted[:2] == (0, 1) and "CERTIFICATE_VERIFY_FAILED" in untrusted[2]
    assert trusted == (1, 0, "")
    assert logins == [(b"docaudit", b"s3cret-from-env")]
    assert [to for to, _ in inbox.messages] == [["ann@example.com"]]


def test_one_bad_owner_or_refused_recipient_never_stops_the_others(tmp_path):
    item = digest.Item(
        [Finding("stale-surfaces", Severity.warning, doc("git", "A", None), "m")], "a", ["c"], "A", "", "new"
    )
    people = [
        Person("aaron@example.com", "Aaron\nBcc: everyone@example.com", "aaron@example.com"),  # a newline
        Person("refused@example.com", "Refused", "refused@example.com"),
        Person("zoe@example.com", "Zoe", "zoe@example.com"),
    ]
    folder = tmp_path / "digests"
    written, failed = mail.write([digest.Digest(p, [item]) for p in people], folder, NOW, "docaudit@example.com")
    assert (len(written), failed) == (3, {})
    sent_to_aaron = message_from_bytes(next((folder / "outbox").glob("*aaron*")).read_bytes(), policy=policy.default)
    assert sent_to_aaron["Bcc"] is None  # the newline in the name did not become a header
    assert [a.addr_spec for a in sent_to_aaron["To"].addresses] == ["aaron@example.com"]
    from docaudit.config import SmtpSettings

    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            if address.startswith("refused"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox, port = Refusing(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent, queued, problem = mail.send_outbox(folder, SmtpSettings(host="127.0.0.1", port=port, starttls=False))
    finally:
        controller.stop()
    assert (sent, queued) == (2, 1)
    assert problem.startswith(f"127.0.0.1:{port} refused 1: ") and "SMTPRecipientsRefused" in problem
    assert sorted(to[0] for to, _ in inbox.messages) == ["aaron@example.com", "zoe@example.com"]
    left = [p.name for p in (folder / "outbox").iterdir()]
    assert len(left) == 1 and left[0].startswith(f"{NOW.date().isoformat()}-refused@example.com")  # retried next time


def test_a_digest_that_cannot_be_written_is_a_warning_and_comes_again(tmp_path):
    """One owner's files cannot be written (a folder squats on the name): the others are, and that one
    is not remembered as told, so the next run writes it."""
    priya = Owner("Priya Raman", "priya@example.com")
    marco = Owner("Marco Rossi", "marco@example.com")
    findings = [
        Finding("stale-surfaces", Severity.warning, doc("git", "A", priya), "old"),
        Finding("stale-surfaces", Severity.warning, doc("git", "B", marco), "old"),
    ]
    stem = digest.safe_file_stem("priya@example.com")
    (tmp_path / f"{stem}.md").mkdir(parents=True)  # where Priya's Markdown digest would go
    run = delivery.prepare_digests(findings, Config(), tmp_path, NOW)
    assert [w.split(" (")[0] for w in run.warnings()] == [
        "the digest for Priya Raman <priya@example.com> could not be written"
    ]
    assert run.warnings()[0].endswith("; it comes again next time")
    assert [p.name for p in run.written] == [f"{digest.safe_file_stem('marco@example.com')}.md"]
    (tmp_path / f"{stem}.md").rmdir()
    again = delivery.prepare_digests(findings, Config(), tmp_path, NOW)
    assert (again.warnings(), [p.name for p in again.written]) == ([], [f"{stem}.md"])


def test_an_old_version_page_is_kept_out_of_the_index_not_given_a_link():
    """On a versioned site the old page is right to exist: the action is about the RAG index."""
    from docaudit.records import Release

    people = identities()
    priya = Owner("Priya Raman", "priya@example.com")
    old = replace(doc("git", "Local Install", priya), id="20.0/install.md", path="content/20.0/install.md")
    old.release = Release("20.0", "older", "hugo.toml latest", inner="install.md")
    new = replace(doc("git", "Local Install", priya), id="21.0/install.md", path="content/21.0/install.md")
    (item,) = digest.build(
        [Finding("rank-inversion", Severity.error, old, "outranks", related=[new])], people, {}, NOW
    )[0][0].items
    assert item.action == (
        "Keep version 20.0 out of the RAG index (or mark its pages as an old version): retrieval prefers this "
        "page to its twin in the current version, 'Local Install (git: content/21.0/install.md)'."
    )
