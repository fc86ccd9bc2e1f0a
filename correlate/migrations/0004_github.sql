-- 0004: GitHub commit SHAs for lead time by ancestry, and imported org teams (connectors/github/records.py).
-- Natural keys are enforced by Store.upsert, as in 0001 (no PRIMARY KEY indexes).

CREATE TABLE deployment_commits (
    deployment_source VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    repo VARCHAR NOT NULL,
    sha VARCHAR NOT NULL
);  -- key: (deployment_source, deployment_id, repo, sha)

CREATE TABLE pr_commits (
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    sha VARCHAR NOT NULL,
    authored_at TIMESTAMPTZ,
    message_has_ai_trailer BOOLEAN,
    ai_tool VARCHAR
);  -- key: (repo, number, sha)

CREATE TABLE github_team_members (
    org VARCHAR NOT NULL,
    team VARCHAR NOT NULL,
    login VARCHAR NOT NULL
);  -- key: (org, team, login)
