"""The domain types, in one place. Every consumer (CLI, UI, exports, eval) reads the same ``Answer``."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return cls.model_validate(data)


class FactRow(_Model):
    """One typed figure from a corpus table: what, of whom, when, how much, and which document says so."""

    series: str = Field(description="What is measured, e.g. output_t.")
    entity: str = Field(description="Of whom: a destination, a company, a programme.")
    period: str = Field(description="When: 2025-11, 2024, or a range such as 2025-11-03..2025-12-19.")
    value: float
    unit: str = Field(description="t, %, USD, count, years ...")
    qualifier: str = Field("", description="approx, below, ... when the source hedges the figure.")
    source_doc: str = Field(description="The corpus document id the figure comes from.")
    provenance: str = Field("", description="Publisher, title and seed, for a person to check.")
    table: str = ""
    label: str = Field("", description="A readable name of the series.")
    is_total: bool = Field(False, description="The row is a total of the others (a 'Total' row, or marked so by the "
                                              "corpus's data file).")

    def states(self, value: float) -> bool:
        """Is ``value`` this row's figure? Percent rows match either sign."""
        return self.value == value or (self.unit in ("%", "pp", "bp") and abs(self.value) == abs(value))


class CorpusKnowledge(_Model):
    """What a corpus needs beyond general rules, read from the data file beside it (``copilot.yaml``)."""

    aliases: dict[str, list[str]] = Field(default_factory=dict, description="A name -> its other names.")
    totals: list[str] = Field(default_factory=list, description="Entities whose rows are totals of the others.")

    @classmethod
    def merged(cls, parts: list[dict]) -> "CorpusKnowledge":
        out = cls()
        for part in parts:
            for name, others in part.get("aliases", {}).items():
                out.aliases.setdefault(name, [])
                out.aliases[name] += [o for o in others if o not in out.aliases[name]]
            out.totals += [t for t in part.get("totals", []) if t not in out.totals]
        return out

    def names(self, entity: str) -> list[str]:
        """The entity's own name and every alias of it (either direction), longest first."""
        base = entity.split(" (")[0]
        names = {entity, base}
        for name, others in self.aliases.items():
            group = {name, *others}
            if any(n.lower() in (entity.lower(), base.lower()) for n in group):
                names |= group
        return sorted(names, key=len, reverse=True)

    def is_total(self, entity: str) -> bool:
        return any(entity.lower() == t.lower() for t in self.totals)


class Chunk(_Model):
    """A piece of a document (or one table row) as stored in Chroma."""

    id: str
    doc_id: str
    text: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    seed: str = ""
    path: str = ""
    kind: Literal["text", "row"] = "text"
    position: int = 0
    facts: list[FactRow] = Field(default_factory=list, description="The typed figures of a table row.")

    @property
    def row(self) -> FactRow | None:
        return self.facts[0] if self.facts else None


class SearchHit(_Model):
    chunk: Chunk
    score: float = Field(description="Hybrid score in [0, 1].")
    dense: float = 0.0
    lexical: float = 0.0


class Citation(_Model):
    """Source ``[n]`` exactly as the model saw it."""

    n: int
    doc_id: str
    chunk_id: str = ""
    title: str = ""
    publisher: str = ""
    date: str = ""
    seed: str = ""
    kind: Literal["text", "row", "calculation"] = "text"
    text: str
    facts: list[FactRow] = Field(default_factory=list, description="The typed figures of a table row.")
    score: float = 0.0
    path: str = Field("", description="The file the passage comes from, for the full document one click away.")

    @property
    def row(self) -> FactRow | None:
        return self.facts[0] if self.facts else None


class ToolCall(_Model):
    """A calculation the code did: which function, on which cited inputs, with what result."""

    name: str
    args: dict[str, float]
    result: float
    formula: str
    unit: str = ""
    cites: list[int] = Field(default_factory=list, description="The [n] the inputs came from.")
    labels: dict[str, str] = Field(default_factory=dict, description="What each input is: 'Brazil, March 2025'.")
    chosen_by: Literal["model", "rules"] = "rules"
    n: int | None = Field(None, description="The [n] under which the result was shown to the model.")


class NumberTrace(_Model):
    raw: str
    value: float
    kind: Literal["percent", "points", "bp", "money", "quantity", "year", "date"] = "quantity"
    found_in: Literal["cited", "tool", "uncited", "nowhere", "mismatched"] = "nowhere"
    where: list[int] = Field(default_factory=list)
    context: str = Field("", description="For a mismatched figure: what the source states it for.")


class ClaimAudit(_Model):
    index: int
    text: str
    citations: list[int] = Field(default_factory=list)
    invalid_citations: list[int] = Field(default_factory=list)
    numbers: list[NumberTrace] = Field(default_factory=list)
    support: dict[int, float] = Field(default_factory=dict, description="Support score per cited [n].")
    verdict: Literal["supported", "partial", "unsupported", "uncited"] = "uncited"
    reason: str = ""


class AuditReport(_Model):
    claims: list[ClaimAudit] = Field(default_factory=list)
    citation_precision: float | None = None
    claim_support_rate: float | None = None
    numbers_stated: int = 0
    numbers_traced: int = 0
    invented_citations_removed: int = 0
    dropped_claims: int = 0
    citations_repaired: list[str] = Field(default_factory=list, description="Claims whose [n] pointed at a source "
                                          "that does not support them, moved to the one source that does.")


class Timings(_Model):
    retrieval_s: float = 0.0
    compute_s: float = 0.0
    prompt_s: float = 0.0
    generation_s: float = 0.0
    ttft_s: float | None = Field(None, description="From the question to the draft's first token (rewrite, search "
                                                  "and calculations included), as the plain chain's is measured.")
    audit_s: float = 0.0
    total_s: float = 0.0


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int | None = Field(None, description="Prompt tokens the server took from its prompt cache.")


class Step(_Model):
    """One step of answering, reported as it happens so a person sees progress from the first second."""

    name: Literal["rewrite", "search", "calculate", "write", "check", "done"]
    detail: str = Field("", description="What the step found or does: '6 sources', the formula, the verdict.")
    elapsed_s: float = Field(0.0, description="Seconds since the question was asked.")


class Answer(_Model):
    """A question's full answer: text with [n] markers, what each [n] is, calculations, audit and provenance."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    question: str
    standalone_question: str = Field("", description="The question as answered: rewritten from the conversation "
                                                     "when it leans on it ('And in October?'), else the same.")
    text: str
    draft: str | None = Field(None, description="The model's own text before citations were cleaned; None if not called.")
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    disclaimer: str = ""
    refused: bool = False
    refusal_reason: str = Field("", description="The evidence behind a refusal decided by code, if any.")
    rejected_calls: list[str] = Field(default_factory=list, description="Calculations proposed and rejected, "
                                                                        "each with its reason.")
    model: str = ""
    settings_hash: str = ""
    timings: Timings = Field(default_factory=Timings)
    usage: Usage = Field(default_factory=Usage)
    audit: AuditReport | None = None
    invented_citations: list[int] = Field(default_factory=list)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    session_id: str = ""

    def citation(self, n: int) -> Citation | None:
        return next((c for c in self.citations if c.n == n), None)

    def cited(self) -> list[Citation]:
        """The sources the answer's claims cite, in the order first cited, then the sources a cited calculation took
        its inputs from (all sources shown to the model stay in ``citations``)."""
        order: list[int] = []
        for claim in self.audit.claims if self.audit else []:
            order += [n for n in claim.citations if n not in order]
        for call in self.tool_calls:
            if call.n in order:
                order += [n for n in call.cites if n not in order]
        return [c for n in order if (c := self.citation(n)) is not None]


class FileResult(_Model):
    path: str
    status: Literal["added", "unchanged", "replaced", "failed", "skipped"] = Field(
        description="skipped: left out on purpose (unsupported type, hidden, a link reached twice); the reason says why")
    chunks: int = 0
    reason: str = ""


class IngestReport(_Model):
    files: list[FileResult] = Field(default_factory=list)
    seconds: float = 0.0

    def by_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def chunks_written(self) -> int:
        return sum(f.chunks for f in self.files if f.status in ("added", "replaced"))

    @property
    def partial(self) -> bool:
        return any(f.status == "failed" for f in self.files)
