"""The numeric tool: pure functions. The model (or the rules) choose one and its inputs; these do the arithmetic.

Each function's docstring is what the model reads when it chooses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from copilot.errors import ToolInputError


def difference(a: float, b: float) -> float:
    """Absolute difference a - b, e.g. how many more units A shipped than B."""
    return a - b


def pct_change(old: float, new: float) -> float:
    """Percent change from old (the earlier value) to new (the later value)."""
    if old == 0:
        raise ToolInputError("percent change from zero is undefined")
    return (new - old) / old * 100.0


def share(part: float, total: float) -> float:
    """Share of a total in percent: part / total * 100."""
    if total == 0:
        raise ToolInputError("share of a zero total is undefined")
    return part / total * 100.0


def ratio(a: float, b: float) -> float:
    """Ratio a / b, e.g. how many times larger A is than B."""
    if b == 0:
        raise ToolInputError("ratio with a zero denominator is undefined")
    return a / b


def add(a: float, b: float) -> float:
    """Sum a + b, e.g. two destinations combined."""
    return a + b


def total(*values: float) -> float:
    """Sum of several figures of one measure, e.g. the quarters of a year so far (Q1 + Q2 + Q3)."""
    if len(values) < 2:
        raise ToolInputError("a total needs at least two figures")
    return float(sum(values))


def share_of_parts(*values: float) -> float:
    """Share of the first figure in the sum of all: x1 / (x1 + x2 + ...) * 100 (Port A's share of Port A and Port B
    together)."""
    if len(values) < 2:
        raise ToolInputError("a share of parts needs at least two figures")
    if sum(values) == 0:
        raise ToolInputError("share of a zero total is undefined")
    return values[0] / sum(values) * 100.0


def highest(*values: float) -> float:
    """The highest of several figures of one measure, e.g. which of four companies had the best margin."""
    if len(values) < 2:
        raise ToolInputError("a ranking needs at least two figures")
    return max(values)


def lowest(*values: float) -> float:
    """The lowest of several figures of one measure."""
    if len(values) < 2:
        raise ToolInputError("a ranking needs at least two figures")
    return min(values)


def implied_prior(current: float, pct: float) -> float:
    """The earlier value implied by a percent change: current / (1 + pct/100). A 25% rise to 500 implies 400."""
    if pct <= -100:
        raise ToolInputError("a change of -100% or less implies no prior value")
    return current / (1 + pct / 100.0)


def part_of(total: float, pct: float) -> float:
    """The value of a percentage share of a total: total * pct / 100 (e.g. 12.8% of $2.9 billion)."""
    return total * pct / 100.0


@dataclass(frozen=True)
class Tool:
    name: str
    fn: Callable[..., float]
    args: tuple[str, ...]
    formula: str  # format string over the args and the result
    result_unit: str  # "%" or "same" (the unit of the first input) or "ratio"
    variadic: bool = False  # takes any number of inputs (x1, x2, ...); planned from the sources by code only

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


TOOLS: dict[str, Tool] = {t.name: t for t in [
    Tool("difference", difference, ("a", "b"), "{a} - {b} = {result}", "same"),
    Tool("pct_change", pct_change, ("old", "new"), "({new} - {old}) / {old} x 100 = {result}", "%"),
    Tool("share", share, ("part", "total"), "{part} / {total} x 100 = {result}", "%"),
    Tool("ratio", ratio, ("a", "b"), "{a} / {b} = {result}", "ratio"),
    Tool("add", add, ("a", "b"), "{a} + {b} = {result}", "same"),
    Tool("total", total, (), "{terms} = {result}", "same", variadic=True),
    Tool("share_of_parts", share_of_parts, (), "{x1} / ({terms}) x 100 = {result}", "%", variadic=True),
    Tool("highest", highest, (), "highest of {terms} = {result}", "same", variadic=True),
    Tool("lowest", lowest, (), "lowest of {terms} = {result}", "same", variadic=True),
    Tool("implied_prior", implied_prior, ("current", "pct"), "{current} / (1 + {pct}/100) = {result}", "same"),
    Tool("part_of", part_of, ("total", "pct"), "{total} x {pct}/100 = {result}", "same"),
]}


def run_tool(name: str, args: dict[str, float]) -> float:
    tool = TOOLS.get(name)
    if tool is None:
        raise ToolInputError(f"unknown tool {name!r}")
    if tool.variadic:
        return tool.fn(*(float(v) for v in args.values()))
    missing = [a for a in tool.args if a not in args]
    if missing:
        raise ToolInputError(f"{name} needs {', '.join(missing)}")
    return tool.fn(**{a: float(args[a]) for a in tool.args})


def tool_catalogue() -> str:
    """The tool list as the model reads it."""
    return "\n".join(f"- {t.name}({', '.join(t.args)}): {t.doc}" for t in TOOLS.values() if not t.variadic)


def tool_call_schema() -> dict:
    """JSON schema for one tool choice, for backends without native tool calls (constrained decoding)."""
    variants = [{"type": "object", "properties": {"tool": {"const": "none"}}, "required": ["tool"],
                 "additionalProperties": False}]
    for t in TOOLS.values():
        if t.variadic:
            continue
        props = {"tool": {"const": t.name}} | {a: {"type": "number"} for a in t.args}
        variants.append({"type": "object", "properties": props, "required": ["tool", *t.args],
                         "additionalProperties": False})
    return {"anyOf": variants}
