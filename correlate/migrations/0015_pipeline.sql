-- 0015: the pipeline's own tables.
--
-- quarantine: rows kept out of the store because an event time lies outside the plausible window
-- (correlate/plausible.py). One row per quarantined record (table and natural key); the report's
-- data-quality section counts them.
CREATE TABLE quarantine (
    table_name VARCHAR NOT NULL,
    row_key VARCHAR NOT NULL,  -- the record's natural key, as a JSON array of text
    column_name VARCHAR NOT NULL,  -- the first event-time column outside the window
    value VARCHAR,  -- its value (ISO 8601)
    window_first DATE,
    window_last DATE,
    PRIMARY KEY (table_name, row_key)
);

-- pr_comments: conversation comments on pull requests (GitHub), an input of the derive stage's
-- first-response time (a comment by someone other than the author counts as the first review).
CREATE TABLE pr_comments (
    repo VARCHAR NOT NULL,
    number BIGINT NOT NULL,
    author VARCHAR NOT NULL,
    commented_at TIMESTAMPTZ NOT NULL,
    author_type VARCHAR
);  -- key: (repo, number, author, commented_at)
