-- 0004: GitHub commit SHAs for lead time by ancestry (connectors/github/records.py).

CREATE TABLE deployment_commits (
    deployment_source VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    repo VARCHAR NOT NULL,
    sha VARCHAR NOT NULL,
    PRIMARY KEY (deployment_source, deployment_id, repo, sha)
);

CREATE TABLE pr_commits (
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    sha VARCHAR NOT NULL,
    authored_at TIMESTAMPTZ,
    message_has_ai_trailer BOOLEAN,
    ai_tool VARCHAR,
    PRIMARY KEY (repo, number, sha)
);

CREATE TABLE github_team_members (
    org VARCHAR NOT NULL,
    team VARCHAR NOT NULL,
    login VARCHAR NOT NULL,
    PRIMARY KEY (org, team, login)
);
