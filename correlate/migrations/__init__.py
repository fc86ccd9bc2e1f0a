"""Forward-only schema migrations, ``NNNN_name.sql``, applied in order by ``correlate.store``."""
