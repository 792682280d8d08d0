-- What the bilateral trade data covers: years and HS lines, with counts (filters, and the
-- "no data for this material" messages). Aggregates first, then names the lines.
-- Params: none.
-- Output: year, hs6, material_id (catalogue id of the line, may be null), n_flows (count),
--         n_quantity (count of flows with a quantity; 0 = quantity not available that year).
WITH c AS (
    SELECT year, hs6, count(*) AS n_flows, count(quantity_t) AS n_quantity
    FROM trade_flows
    GROUP BY year, hs6
)
SELECT c.year, c.hs6, h.material_id, c.n_flows, c.n_quantity
FROM c LEFT JOIN hs_codes h USING (hs6)
ORDER BY c.year DESC, c.hs6;
