-- 0010: GitHub Copilot and Cursor (issue 10). Their usage rows go to the shared ai_usage_daily and
-- ai_usage_model_daily tables (tool = 'copilot' | 'cursor'); only Copilot's daily user-teams report
-- needs a table of its own (connectors/tool_records.py: CopilotUserTeam).

CREATE TABLE copilot_user_teams (
    scope VARCHAR NOT NULL,
    day DATE NOT NULL,
    user_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    user_login VARCHAR,
    team_slug VARCHAR,
    PRIMARY KEY (scope, day, user_id, team_id)
);
