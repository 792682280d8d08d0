-- One importer's profile: every HS line it imports in one year, with China's direct share,
-- the top supplier and concentration (the country card, every material at a glance).
-- Params: $importer (ISO3), $year (INTEGER), $basis ('value' | 'quantity').
-- Output: hs6 (code), material_id (catalogue id of the line), material_name (text),
--         material_group (rare_earths | titanium | magnesium), china_share (0-1),
--         top_supplier (ISO3), top_share (0-1), hhi (0-1, exact: every supplier is listed),
--         value_usd (USD), quantity_t (t),
--         caveat (text: what the HS line mixes), source (text).
WITH s AS (
    SELECT line AS hs6, * EXCLUDE (line) FROM supplier_shares($year, NULL, $basis, $importer, true)
), g AS (
    SELECT hs6,
           coalesce(sum(share) FILTER (WHERE supplier = 'CHN'), 0) AS china_share,
           arg_max(supplier, share) FILTER (WHERE supplier <> 'ROW' AND share IS NOT NULL) AS top_supplier,
           max(share) FILTER (WHERE supplier <> 'ROW') AS top_share,
           sum(share * share) AS hhi,
           sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t, min(source) AS source
    FROM s GROUP BY hs6
)
SELECT g.hs6, h.material_id, m.name AS material_name, m."group" AS material_group,
       g.china_share, g.top_supplier, g.top_share, g.hhi,
       g.value_usd, g.quantity_t, coalesce(h.caveat, '') AS caveat, g.source
FROM g LEFT JOIN hs_codes h USING (hs6) LEFT JOIN materials m ON m.material_id = h.material_id
ORDER BY material_group, g.hs6;
