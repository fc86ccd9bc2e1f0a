"""The spend classes' rules, thresholds and recommendation kinds in plain words, for reports and the
``correlate export spend`` summary (the CSV keeps the ids; people read these)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["KIND_TITLES", "RULE_NAMES", "describe_thresholds", "kind_title", "rule_name"]

RULE_NAMES = {
    "session_commit": "an assistant session made a commit of the PR",
    "session_branch": "an assistant session worked on the PR's branch",
    "co_authored": "the PR's commits name the assistant as co-author",
    "author_day": "the PR's author used the assistant that day",
    "session_unshipped": "assistant work that reached no PR",
    "unattributed": "not linked to any PR",
}

KIND_TITLES = {
    "model_routing": "Route small PRs to a cheaper model",
    "prompt_caching": "Use prompt caching",
    "wasteful_rise": "Spend on work that reaches no merged PR is rising",
    "rising_cost_per_commit": "Cost per commit is rising faster than PR size",
    "batch": "Move non-interactive work to the Batch API",
    "follow_up": "Merged PRs that needed a follow-up fix",
    "link_coverage": "Spend that cannot be linked to any PR",
}

_THRESHOLDS: dict[str, str] = {
    "follow_up_days": "a fix PR within {v} days of a merge marks the merged PR as troubled",
    "wasteful_days": "assistant work in no PR after {v} days is wasteful",
    "review_rounds": "{v} or more change requests mark a PR as troubled",
    "size_buckets": "PRs are compared with PRs of similar size (bucket edges at {v} lines)",
    "inefficiency_multiple": "a PR costing more than {v}× the median of similar-size PRs is inefficient",
    "min_evidence_prs": "a median or a recommendation needs at least {v} PRs",
    "min_evidence_usd": "a recommendation needs at least ${v} of spend behind it",
    "min_evidence_share": "a recommendation needs a change of at least {v}",
    "small_pr_lines": "a small PR has fewer than {v} lines",
    "rising_cost_per_commit": "cost per commit counts as rising above +{v}",
    "batch_actor_types": "non-interactive users (Batch API candidates) are {v} identities",
}


def rule_name(rule: str) -> str:
    """A linking rule id in words (unknown ids are returned as they are)."""
    return RULE_NAMES.get(rule, rule)


def kind_title(kind: str) -> str:
    """A recommendation kind as a heading (unknown kinds: the id with spaces)."""
    return KIND_TITLES.get(kind, kind.replace("_", " ").capitalize())


def _value(key: str, v: Any) -> str:
    if v is None:
        return "off"
    if key in ("min_evidence_share", "rising_cost_per_commit"):
        return f"{100 * float(v):.0f}%"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return f"{v:.0f}"
    return str(v)


def describe_thresholds(settings: Mapping[str, Any]) -> list[str]:
    """Each ``[spend]`` setting as a clause with its value ("a fix PR within 14 days … (follow_up_days = 14)")."""
    out = []
    for key, v in settings.items():
        template = _THRESHOLDS.get(key)
        text = template.format(v=_value(key, v)) if template else f"{key.replace('_', ' ')}: {_value(key, v)}"
        if key == "inefficiency_multiple" and v is None:
            text = "the cost-above-median rule is off"
        out.append(f"{text} ({key})")
    return out
