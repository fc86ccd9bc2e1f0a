-- 0001: the first release's tables. One table per record type in connectors/records.py
-- (tests/test_store.py keeps them in step), plus sync_state and schema_version.
-- Natural keys are enforced by Store.upsert (dedupe the batch, delete matching keys, insert) rather
-- than by PRIMARY KEY indexes: bulk loads run ~4x faster without the index, and the store tests check
-- that every table holds one row per key.

CREATE TABLE ai_edit_actions (
    tool VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    actor VARCHAR NOT NULL,
    edit_tool VARCHAR NOT NULL,
    accepted BIGINT,
    rejected BIGINT
);  -- key: (tool, source, day, actor, edit_tool)

CREATE TABLE ai_usage_daily (
    tool VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    actor VARCHAR NOT NULL,
    actor_type VARCHAR,
    sessions BIGINT,
    requests BIGINT,
    active_seconds DOUBLE,
    lines_added BIGINT,
    lines_removed BIGINT,
    lines_suggested BIGINT,
    lines_accepted BIGINT,
    commits BIGINT,
    prs BIGINT,
    edit_accepted BIGINT,
    edit_rejected BIGINT,
    tokens_input BIGINT,
    tokens_output BIGINT,
    tokens_cache_read BIGINT,
    tokens_cache_creation BIGINT,
    cost_usd DOUBLE,
    cost_provenance VARCHAR,
    customer_type VARCHAR,
    extra_json VARCHAR
);  -- key: (tool, source, day, actor)

CREATE TABLE ai_usage_model_daily (
    tool VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    actor VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    tokens_input BIGINT,
    tokens_output BIGINT,
    tokens_cache_read BIGINT,
    tokens_cache_creation BIGINT,
    tokens_cache_creation_1h BIGINT,
    requests BIGINT,
    cost_usd DOUBLE,
    cost_provenance VARCHAR
);  -- key: (tool, source, day, actor, model)

CREATE TABLE deployments (
    source VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    repo VARCHAR,
    service VARCHAR,
    team VARCHAR,
    environment VARCHAR,
    sha VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    status VARCHAR,
    kind VARCHAR,
    is_production BOOLEAN
);  -- key: (source, deployment_id)

CREATE TABLE deployment_changes (
    deployment_source VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    lead_time_s DOUBLE,
    rule VARCHAR
);  -- key: (deployment_source, deployment_id, repo, number)

CREATE TABLE deployment_failures (
    deployment_source VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    incident_source VARCHAR NOT NULL,
    incident_id VARCHAR NOT NULL,
    rule VARCHAR
);  -- key: (deployment_source, deployment_id, incident_source, incident_id)

CREATE TABLE identities (
    source VARCHAR NOT NULL,
    identity VARCHAR NOT NULL,
    kind VARCHAR,
    display VARCHAR,
    first_seen DATE,
    last_seen DATE
);  -- key: (source, identity)

CREATE TABLE incidents (
    source VARCHAR NOT NULL,
    incident_id VARCHAR NOT NULL,
    number BIGINT,
    title VARCHAR,
    status VARCHAR,
    urgency VARCHAR,
    priority VARCHAR,
    service VARCHAR,
    repo VARCHAR,
    team VARCHAR,
    kind VARCHAR,
    created_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    caused_by_sha VARCHAR,
    caused_by_deployment VARCHAR
);  -- key: (source, incident_id)

CREATE TABLE pull_requests (
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    author VARCHAR,
    author_type VARCHAR,
    title VARCHAR,
    state VARCHAR,
    is_draft BOOLEAN,
    created_at TIMESTAMPTZ,
    ready_at TIMESTAMPTZ,
    first_commit_at TIMESTAMPTZ,
    first_review_at TIMESTAMPTZ,
    first_approval_at TIMESTAMPTZ,
    merged_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    additions BIGINT,
    deletions BIGINT,
    changed_files BIGINT,
    size_lines BIGINT,
    merge_commit_sha VARCHAR,
    head_sha VARCHAR,
    base_branch VARCHAR,
    head_branch VARCHAR,
    labels VARCHAR,
    ai_assisted BOOLEAN,
    ai_rule VARCHAR,
    ai_tool VARCHAR,
    merged_without_review BOOLEAN,
    coding_s DOUBLE,
    pickup_s DOUBLE,
    review_s DOUBLE,
    cycle_s DOUBLE,
    lifetime_s DOUBLE
);  -- key: (repo, number)

CREATE TABLE reviews (
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    review_id VARCHAR NOT NULL,
    author VARCHAR,
    author_type VARCHAR,
    state VARCHAR,
    submitted_at TIMESTAMPTZ
);  -- key: (repo, number, review_id)

-- One row per (source, stream, partition): the newest cursor whose rows are stored.
-- Written in the same transaction as those rows.
CREATE TABLE sync_state (
    source VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    "partition" VARCHAR NOT NULL,
    cursor VARCHAR,
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (source, stream, "partition")
);
