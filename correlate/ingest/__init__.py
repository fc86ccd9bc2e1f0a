"""One module per source: fetch through ``connectors``, upsert into the store with the cursor."""
