-- 0018: the Claude Enterprise Analytics API's cost is "post-discount, pre-credit" (the API reference):
-- the list price less the organisation's discounts, before usage credits; not the invoice. Rows stored
-- before this migration called it 'billed'; they are relabelled 'discounted', as new syncs store it.
UPDATE ai_usage_daily SET cost_provenance = 'discounted'
WHERE source = 'enterprise_api' AND cost_provenance = 'billed';
UPDATE ai_usage_model_daily SET cost_provenance = 'discounted'
WHERE source = 'enterprise_api' AND cost_provenance = 'billed';
