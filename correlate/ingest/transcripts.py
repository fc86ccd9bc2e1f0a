"""``correlate import transcripts DIR --actor EMAIL``: local Claude Code transcripts into the store.

For individuals and small teams without admin access. Transcripts carry tokens but (in current Claude
Code versions) no cost, so cost is derived from tokens x the price table (``cost_provenance``
"derived"); a model the table does not know leaves the cost empty and is counted, never guessed. An
actor-day with any unpriced request has an empty day cost (a partial sum would understate it); its
priced models still carry their cost in ``ai_usage_model_daily``.

Days are UTC days (the transcripts' timestamps are UTC, like the Anthropic APIs). Re-importing the same
folder rewrites the same rows; import a developer's whole ``~/.claude/projects`` so each day is complete.
A line dated outside the plausible window (:mod:`correlate.plausible`) makes rows that are quarantined,
not stored, and the closing lines say how many.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from connectors.otel_records import AISessionDay
from connectors.records import AIUsageDay, AIUsageModelDay
from connectors.transcripts import TranscriptScan, UsageEntry, scan, transcript_files
from correlate.errors import UsageError
from correlate.plausible import PlausibleWindow
from correlate.prices import PriceTable, table_for_config
from correlate.store import Store
from correlate.sync import Batch, Cursor, Rows, Run, Source, SyncContext, run_import

__all__ = ["entry_cost", "import_dir", "records"]

SOURCE = "transcripts"
TOOL = "claude_code"


def entry_cost(prices: PriceTable, e: UsageEntry) -> float | None:
    """Cost of one response at list price; cache writes use the 5m/1h split when the line has it."""
    w5m, w1h = e.cache_creation_5m or 0, e.cache_creation_1h or 0
    # no split on the line (or a split that does not add up): the rest is priced as 5-minute writes,
    # the default duration and how Anthropic's own estimates price cache creation
    w5m += max(0, e.cache_creation_tokens - w5m - w1h)
    return prices.cost(e.model, e.day, input=e.input_tokens, output=e.output_tokens, cache_read=e.cache_read_tokens,
                       cache_write_5m=w5m, cache_write_1h=w1h)


def _sum_costs(costs: Iterable[float | None]) -> float | None:
    total = 0.0
    for c in costs:
        if c is None:
            return None
        total += c
    return total


def records(entries: list[UsageEntry], actor: str, prices: PriceTable
            ) -> tuple[list[AIUsageDay], list[AIUsageModelDay], list[AISessionDay], set[str]]:
    """Actor-day, model-day and session-day rows of one developer's entries, and the unpriced models."""
    costs = {id(e): entry_cost(prices, e) for e in entries}
    unpriced = {e.model for e in entries if costs[id(e)] is None}
    by_day: dict[object, list[UsageEntry]] = defaultdict(list)
    by_model: dict[tuple[object, str], list[UsageEntry]] = defaultdict(list)
    by_session: dict[tuple[object, str], list[UsageEntry]] = defaultdict(list)
    for e in entries:
        by_day[e.day].append(e)
        by_model[(e.day, e.model)].append(e)
        by_session[(e.day, e.session_id)].append(e)

    days = []
    for _, es in sorted(by_day.items(), key=lambda kv: str(kv[0])):
        cost = _sum_costs(costs[id(e)] for e in es)
        missing = sorted({e.model for e in es if costs[id(e)] is None})
        recorded = [e.cost_usd_recorded for e in es if e.cost_usd_recorded is not None]
        extra = {"unpriced_requests": sum(1 for e in es if costs[id(e)] is None), "unpriced_models": missing}
        if recorded:
            extra["recorded_cost_usd"] = sum(recorded)  # costUSD from old Claude Code versions, for comparison
        days.append(AIUsageDay(
            tool=TOOL, source=SOURCE, day=es[0].day, actor=actor, actor_type="user",
            sessions=len({e.session_id for e in es}), requests=len(es),
            tokens_input=sum(e.input_tokens for e in es), tokens_output=sum(e.output_tokens for e in es),
            tokens_cache_read=sum(e.cache_read_tokens for e in es),
            tokens_cache_creation=sum(e.cache_creation_tokens for e in es),
            cost_usd=cost, cost_provenance="derived" if cost is not None else None,
            extra_json=json.dumps(extra, sort_keys=True),
        ))
    models = []
    for (_, model), es in sorted(by_model.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        cost = _sum_costs(costs[id(e)] for e in es)
        split = [e.cache_creation_1h for e in es if e.cache_creation_1h is not None]
        models.append(AIUsageModelDay(
            tool=TOOL, source=SOURCE, day=es[0].day, actor=actor, model=model,
            tokens_input=sum(e.input_tokens for e in es), tokens_output=sum(e.output_tokens for e in es),
            tokens_cache_read=sum(e.cache_read_tokens for e in es),
            tokens_cache_creation=sum(e.cache_creation_tokens for e in es),
            tokens_cache_creation_1h=sum(split) if split else None, requests=len(es),
            cost_usd=cost, cost_provenance="derived" if cost is not None else None,
        ))
    sessions = []
    for (_, session), es in sorted(by_session.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        cost = _sum_costs(costs[id(e)] for e in es)
        branches = [e for e in es if e.git_branch]
        sessions.append(AISessionDay(
            tool=TOOL, source=SOURCE, day=es[0].day, actor=actor, session_id=session,
            git_branch=max(branches, key=lambda e: e.timestamp).git_branch if branches else None,
            first_at=min(e.timestamp for e in es), last_at=max(e.timestamp for e in es), requests=len(es),
            tokens_input=sum(e.input_tokens for e in es), tokens_output=sum(e.output_tokens for e in es),
            tokens_cache_read=sum(e.cache_read_tokens for e in es),
            tokens_cache_creation=sum(e.cache_creation_tokens for e in es),
            cost_usd=cost, cost_provenance="derived" if cost is not None else None,
            models=json.dumps(sorted({e.model for e in es}), separators=(",", ":")),  # as DuckDB writes it
        ))
    return days, models, sessions, unpriced


def import_dir(config_path: Path, path: Path, actor: str) -> TranscriptScan:
    """Scan ``path`` for session JSONL and store one developer's usage (one transaction, with the derive stage).

    Raises:
        UsageError: the folder does not exist, or ``--actor`` is empty.
    """
    from correlate.config import load_config
    from correlate.console import console, progress

    actor = actor.strip()
    if not actor:
        raise UsageError("--actor is empty: give the developer's email or login, as the team config lists it.")
    if "@" in actor:
        actor = actor.lower()
    path = Path(path).expanduser()
    if not path.exists():
        raise UsageError(f"{path} does not exist. Claude Code keeps transcripts in ~/.claude/projects "
                         "(or $CLAUDE_CONFIG_DIR/projects).")
    config = load_config(config_path)
    prices = table_for_config(config)
    with progress(transient=True) as bar:  # the whole folder is read before the store is opened
        task = bar.add_task("reading transcripts", total=len(transcript_files(path)))
        result = scan(path, on_file=lambda _: bar.advance(task))
    days, models, sessions, unpriced = records(result.entries, actor, prices)
    last = result.entries[-1].timestamp.isoformat() if result.entries else None

    def fetch(run: Run, folder: Path) -> Iterator[Batch]:
        yield Batch(rows=[Rows(AIUsageDay, days), Rows(AIUsageModelDay, models), Rows(AISessionDay, sessions)],
                    cursor=Cursor("import", last, actor, forward_only=False) if last else None)

    with Store.open(config.store_path, window=PlausibleWindow.of(config)) as store:
        summary = run_import(SyncContext(config, store), Source(name=SOURCE, plan=lambda run: [path], fetch=fetch))
    console.print(
        f"transcripts: {len(result.entries):,} requests in {len(sessions):,} session-days over {len(days):,} "
        f"days for {actor} from {result.files:,} files into {config.store_path}", soft_wrap=True)
    console.print(
        f"skipped: {result.malformed:,} malformed lines, {result.duplicates:,} duplicate copies, "
        f"{result.sidechain_replays:,} sidechain replays, {result.synthetic:,} synthetic", soft_wrap=True)
    if unpriced:
        console.print(f"[yellow]no price for {', '.join(sorted(unpriced))}[/]: their cost is left empty "
                      "(add them to a \\[prices] file to price them)", soft_wrap=True)
    for problem in result.problems[:5]:
        console.print(f"  malformed: {problem}", soft_wrap=True, markup=False)
    for note in summary.notes:
        console.print(note, soft_wrap=True, markup=False)
    return result
