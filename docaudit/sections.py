"""The tables of `docaudit.toml` other than the top level: one dataclass per section, checked by
`config.py` against what the file says (unknown keys and wrong types name their line)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SmtpSettings:
    """`[smtp]`: where `docaudit digest --send` hands its mail. The password lives in `password_env`."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    ca_file: str = ""  # a private CA to verify the server's certificate with; default: the system's
    user: str = ""
    password_env: str = "DOCAUDIT_SMTP_PASSWORD"
    sender: str = "docaudit@localhost"
    timeout_seconds: float = 30.0


@dataclass
class MarkerSettings:
    """`[markers]`: a site's own status fields and values, mapped onto docaudit's markers.

    Read from frontmatter, from an RFC-822-style header block at the top of a doc (`Status: Final`),
    and from Notion select properties. Names and values compare case-insensitively.
    """

    status_field: str = "status"
    deprecated_values: list[str] = field(
        default_factory=lambda: [
            "deprecated",
            "superseded",
            "withdrawn",
            "rejected",
            "obsolete",
            "archived",
            "retired",
            "replaced",
            "abandoned",
        ]
    )
    # An explicit current status keeps a doc current whatever its age.
    current_values: list[str] = field(
        default_factory=lambda: ["final", "active", "accepted", "stable", "current", "approved", "living", "published"]
    )
    superseded_by_field: str = "superseded-by"  # also matched with _ for -, e.g. superseded_by
    owner_field: str = "author"  # a header or frontmatter field naming the owner, after `owner`


@dataclass
class RetrievalSettings:
    """`[retrieval]`: the retrieval under audit, when it is not docaudit's own index."""

    # Retrievers to audit instead of docaudit's own index: "MODULE:NAME" or "path/to/file.py:NAME";
    # "docaudit" names docaudit's own. With several, each finding says under which it holds.
    retrievers: list[str] = field(default_factory=list)
    collection: str = ""  # an existing Chroma collection another pipeline built, in the same Chroma
    # The production embedding, for docaudit's index and the probes of `collection`: a sentence-transformers
    # model (folder or cached name), or with base_url an OpenAI-compatible endpoint's `model`.
    embedding: str = ""
    base_url: str = ""  # e.g. https://api.openai.com/v1, http://tei:8080/v1; POST {base_url}/embeddings
    model: str = ""  # the endpoint's embedding model
    api_key_env: str = ""  # the environment variable holding the key; the key itself is never configured
    api_key_header: str = "Authorization"  # "api-key" for Azure OpenAI; Authorization sends "Bearer <key>"
    batch_size: int = 64
    max_retries: int = 5
    retry_wait_seconds: float = 1.0
    timeout_seconds: float = 60.0
    # docaudit's own retriever: dense vectors, BM25 over the same chunks, or both fused by reciprocal rank.
    mode: str = "dense"
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    reranker: str = ""  # a sentence-transformers CrossEncoder folder, reordering the first rerank_top_n
    rerank_top_n: int = 20


@dataclass
class VersionSettings:
    """`[versions]`: corrections to how docaudit reads a docs site's versions (see `docaudit versions`).

    Each entry is a version label ("2.20") or a folder relative to the crawled folder ("content/docs").
    """

    current: str = ""  # the current version, whatever the site's files say
    previews: list[str] = field(default_factory=list)  # unreleased: they supersede nothing
    archived: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)  # folders that look like versions but are not


@dataclass
class SlackSettings:
    """`[slack]`: digests as direct messages from a Slack app's bot. The token lives in `token_env`."""

    token_env: str = "SLACK_BOT_TOKEN"  # a bot token (xoxb-) with chat:write, users:read.email, im:write
    fallback_channel: str = ""  # a channel id (C0123...) for owners Slack does not know, and teams
    base_url: str = ""  # default: $SLACK_API_URL, else https://slack.com/api
    max_retries: int = 5  # per request, for 429, 5xx and timeouts
    retry_wait_seconds: float = 1.0
    timeout_seconds: float = 30.0


@dataclass
class TeamsSettings:
    """`[teams]`: digests as Adaptive Cards through a Teams Workflows (or incoming) webhook."""

    webhook_env: str = "TEAMS_WEBHOOK_URL"  # the variable holding the webhook URL (it is a secret)
    max_retries: int = 5
    retry_wait_seconds: float = 1.0
    timeout_seconds: float = 30.0
