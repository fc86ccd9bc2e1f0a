-- 0019: what `correlate demo` planted, so its report can print the true effects beside its estimates.
-- A real store leaves both tables empty (the report then has no planted-vs-estimated appendix).
--
-- demo_planted: one row per demo run (the demo rebuilds its store, so there is one).
CREATE TABLE IF NOT EXISTS demo_planted (
    seed BIGINT NOT NULL,
    as_of DATE NOT NULL,  -- the demo's "today": its history ends the day before
    effect DOUBLE NOT NULL,  -- relative change of PR cycle time after a team adopts (-0.2 = 20 % faster)
    incident_effect DOUBLE NOT NULL,  -- relative change of the chance a deployment fails after adoption
    confound_trend_sd_per_week DOUBLE NOT NULL DEFAULT 0.0,  -- adopting teams' own trend (0: none planted)
    teams INTEGER NOT NULL,
    devs INTEGER NOT NULL,
    days INTEGER NOT NULL
);

-- demo_adoption: each team's planted adoption day (NULL: never adopts) and its members on the last day.
CREATE TABLE IF NOT EXISTS demo_adoption (
    team VARCHAR PRIMARY KEY,
    adoption_day DATE,
    members INTEGER NOT NULL
);
