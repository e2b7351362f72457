"""The verdict on one doc: its status, the reasons that fired, what supersedes it, its version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CURRENT, AGING, SUPERSEDED, DEPRECATED = "current", "aging", "superseded", "deprecated"


@dataclass(frozen=True)
class Version:
    kind: str  # "release" (v3.1) or "time" (2021, 2026 Q3): only the same kind compares
    key: tuple[int, ...]
    label: str
    where: str  # "path" or "title"


@dataclass
class Currency:
    status: str
    reasons: list[str] = field(default_factory=list)
    superseded_by: str | None = None  # doc key
    version: Version | None = None
    age_days: int | None = None
    max_age_days: int = 0
    age_policy: str = ""  # where the age policy was set; "" for the built-in default, which raises no finding

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": self.reasons,
            "superseded_by": self.superseded_by,
            "version": self.version.label if self.version else None,
            "age_days": self.age_days,
            "max_age_days": self.max_age_days,
            "age_policy": self.age_policy or "default",
        }
