-- What the bilateral trade data covers: years and HS lines, with counts (filters, and the
-- "no data for this material" messages). Aggregates first, then names the lines.
-- Params: none.
-- Output: year, hs6, material_id (catalogue id of the line, may be null), n_flows (count).
WITH c AS (
    SELECT year, hs6, count(*) AS n_flows
    FROM trade_flows
    GROUP BY year, hs6
)
SELECT c.year, c.hs6, h.material_id, c.n_flows
FROM c LEFT JOIN hs_codes h USING (hs6)
ORDER BY c.year DESC, c.hs6;
