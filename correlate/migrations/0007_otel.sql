-- 0007: Claude Code telemetry paths (OpenTelemetry receiver + local transcripts).
-- One table per record type in connectors/otel_records.py (tests keep them in step). As in 0001, natural
-- keys are enforced by Store.upsert (delete matching keys, insert), not by PRIMARY KEY indexes.

-- Every counter increment once: delta points as sent, cumulative points differenced per series.
CREATE TABLE otel_metric_deltas (
    series VARCHAR NOT NULL,
    start_ns BIGINT NOT NULL,
    time_ns BIGINT NOT NULL,
    metric VARCHAR,
    day DATE,
    occurred_at TIMESTAMPTZ,
    actor VARCHAR,
    actor_type VARCHAR,
    value DOUBLE,
    team VARCHAR,
    session_id VARCHAR,
    model VARCHAR,
    attr_type VARCHAR,
    decision VARCHAR,
    tool_name VARCHAR,
    temporality BIGINT
);  -- key: (series, start_ns, time_ns)

-- The last cumulative point folded per series, so differencing continues across folds.
CREATE TABLE otel_series_state (
    series VARCHAR NOT NULL,
    metric VARCHAR,
    start_ns BIGINT,
    time_ns BIGINT,
    value DOUBLE
);  -- key: (series)

CREATE TABLE otel_events (
    event_id VARCHAR NOT NULL,
    event VARCHAR,
    occurred_at TIMESTAMPTZ,
    day DATE,
    actor VARCHAR,
    actor_type VARCHAR,
    team VARCHAR,
    session_id VARCHAR,
    prompt_id VARCHAR,
    request_id VARCHAR,
    model VARCHAR,
    cost_usd DOUBLE,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_creation_tokens BIGINT,
    duration_ms DOUBLE,
    status_code BIGINT,
    error VARCHAR,
    tool_name VARCHAR,
    success BOOLEAN,
    git_commit_id VARCHAR,
    git_branch VARCHAR
);  -- key: (event_id)

CREATE TABLE ai_session_daily (
    tool VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    actor VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL,
    team VARCHAR,
    git_branch VARCHAR,
    first_at TIMESTAMPTZ,
    last_at TIMESTAMPTZ,
    requests BIGINT,
    tokens_input BIGINT,
    tokens_output BIGINT,
    tokens_cache_read BIGINT,
    tokens_cache_creation BIGINT,
    cost_usd DOUBLE,
    cost_provenance VARCHAR,
    models VARCHAR,
    commit_ids VARCHAR,
    lines_added BIGINT,
    lines_removed BIGINT
);  -- key: (tool, source, day, actor, session_id)
