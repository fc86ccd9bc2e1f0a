-- 0003: Claude Enterprise Analytics API tables with no counterpart in other sources
-- (connectors/enterprise_records.py; tests/connectors/test_claude_enterprise.py keeps them in step).
-- Claude Code per-user metrics and cost from that API go to the shared ai_* tables (source 'enterprise_api').

CREATE TABLE claude_enterprise_skill_daily (
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    skill_name VARCHAR NOT NULL,
    skill_display_name VARCHAR,
    distinct_user_count BIGINT,
    invocation_count BIGINT,
    chat_conversations BIGINT,
    claude_code_sessions BIGINT,
    cowork_sessions BIGINT,
    share_status VARCHAR,
    extra_json VARCHAR,
    PRIMARY KEY (source, day, skill_name)
);

CREATE TABLE claude_enterprise_connector_daily (
    source VARCHAR NOT NULL,
    day DATE NOT NULL,
    connector_name VARCHAR NOT NULL,
    connector_display_name VARCHAR,
    distinct_user_count BIGINT,
    chat_conversations BIGINT,
    claude_code_sessions BIGINT,
    cowork_sessions BIGINT,
    read_call_count BIGINT,
    write_call_count BIGINT,
    unclassified_call_count BIGINT,
    extra_json VARCHAR,
    PRIMARY KEY (source, day, connector_name)
);
