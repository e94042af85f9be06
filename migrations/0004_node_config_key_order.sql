-- A node's config is kept as written: json, not jsonb, since jsonb reorders object keys (shortest
-- first) and key order carries meaning in some configs: derive adds its `columns` in the order given,
-- which becomes the destination's column order. Configs are only stored and read back whole.
ALTER TABLE pipeline_nodes ALTER COLUMN config DROP DEFAULT;
ALTER TABLE pipeline_nodes ALTER COLUMN config TYPE json USING config::json;
ALTER TABLE pipeline_nodes ALTER COLUMN config SET DEFAULT '{}'::json;
