"""Static text of the Method notes: definitions (from the metric catalogue), the limitations checklist and
external studies.

All of it is printed inside the report (it links to nothing outside). The studies come from
``docs/statistics.md`` §6 and are labelled as context about other organisations; the
checklist is §3.K, with what this report does about each risk.
"""

from __future__ import annotations

from correlate.metrics.catalogue import METRICS
from correlate.report.sections import Study

__all__ = ["EXTERNAL_INTRO", "STUDIES", "definitions", "limitations"]

# Definitions that belong to no single metric; every metric's own definition is in the catalogue.
_GENERAL = (
    "Sessions = assistant sessions reported by the usage source; acceptance rate = accepted ÷ (accepted + rejected) "
    "edit suggestions, per edit tool, from the assistant's own edit-action counts.",
    "Caching saved = cache-read tokens × (the model's input price − its cache-read price) in force on the day, from "
    "the one price table (shipped list prices, or your [prices] file). The Batch API discount applies only to "
    "asynchronous jobs, never to interactive sessions.",
    "AI-assisted PR: an assistant trailer or attribution in a commit or the body, an AI agent author, a configured "
    "label, or assistant commits/PRs counted for the author during the PR's life.",
)


def definitions(timezone: str) -> tuple[str, ...]:
    """The definitions printed in the method notes: the day, the catalogue's metrics, then the general ones."""
    day = (f"A day is a calendar day in the configured time zone ({timezone}); AI-usage APIs report UTC days, "
           "taken as given.")
    return (day, *(m.definition for m in METRICS if m.definition), *_GENERAL)


def limitations(stats_available: bool) -> list[tuple[str, str]]:
    """The causal over-reach checklist (statistics.md §3.K) with what this report does about each risk."""
    did = ("Section 6 compares adopting teams with teams that had not (yet) adopted, which removes fixed differences "
           "between teams but not trends that diverge for other reasons." if stats_available else
           "Not addressed: no before/after estimate is in this report, so every comparison is between teams as they "
           "are.")
    chart = ("the event-study chart in section 6" if stats_available else
             "the weekly charts in sections 2 and 4 (no event study without the statistics engine)")
    return [
        ("Self-selection: early adopters differ (seniority, stack, greenfield work).", did),
        ("Concurrent changes: re-orgs, CI/CD migrations, hiring waves, review policies, holidays.",
         f"Not addressed by the data; check {chart} for jumps that line up with such changes."),
        ("Workload and reverse causality: busy periods raise both AI use and output.",
         "Not addressed for the associations in section 4; the within-team association holds team differences "
         "fixed but not week-to-week workload."),
        ("Regression to the mean: teams may adopt right after a bad quarter.",
         f"Partly: {chart} shows the weeks before adoption." if stats_available else "Not addressed."),
        ("Metric gaming and composition: more and smaller PRs, or larger AI-written PRs.",
         "Shown, not corrected: PR size and merges without review sit next to speed in section 4."),
        ("Spill-overs between teams (shared reviewers and repos).", "Not addressed."),
        ("Novelty effects: the early post-adoption period may not persist.",
         f"Shown in {chart} by weeks since adoption." if stats_available else
         f"Visible only informally in {chart}."),
        ("External validity: published study results are other settings.",
         "They appear below as labelled context only, never as this organisation's expected effect."),
    ]


EXTERNAL_INTRO = (
    "Context, not evidence about this organisation. Published estimates range from 19% slower (experienced "
    "open-source developers, METR 2025) to 56% faster (a single greenfield task, Peng et al. 2023). Field experiments "
    "find roughly +26% completed tasks (Cui et al.). Vendor telemetry reports more throughput together with longer "
    "reviews and more incidents. Results depend strongly on task, codebase familiarity and tooling, so this report's "
    "own estimates are the relevant evidence for this organisation.")

STUDIES = (
    Study("Peng, Kalliamvakou, Cihon, Demirer (2023)", "RCT, 95 freelance developers, one greenfield task",
          "Copilot group finished 55.8% faster", "single task; wide interval"),
    Study("Cui, Demirer, Jaffe, Musolff, Peng, Salz (2024/2026)", "3 field RCTs, 4,867 developers",
          "+26.08% (SE 10.3%) completed tasks per week", "noisy per experiment; compliance issues"),
    Study("Paradis et al., Google (2024)", "RCT, 96 engineers, one enterprise task",
          "about 21% less time on task", "lab-style task; large interval"),
    Study("METR, Becker et al. (2025)", "RCT, 16 experienced open-source developers, 246 tasks in their own repos",
          "19% longer completion time with AI allowed (developers believed −20%)",
          "small n; early-2025 tools; familiar codebases"),
    Study("DORA 2024", "survey, modelled estimates",
          "per 25% more AI adoption: throughput −1.5%, stability −7.2%", "cross-sectional; self-reported adoption"),
    Study("DORA 2025", "survey of about 5,000 professionals",
          "90% use AI; AI associated with higher throughput and higher instability", "survey"),
    Study("Faros AI (2025)", "vendor telemetry, 10,000+ developers",
          "high-AI teams: +98% PRs merged, review time +91%, PR size +154%", "vendor, correlational"),
    Study("Faros AI (2026)", "vendor telemetry, 22,000 developers, within-team quarters",
          "incidents per PR +242.7%; 31.3% more PRs merged without review (a relative increase)",
          "vendor, within-team before/after"),
    Study("GitClear (2024, 2025)", "153M–211M changed lines, 2020–2024",
          "code churn rising; moved (refactored) lines fell from 24.8% to 9.5%", "vendor, trend attribution"),
)
