-- China's direct share of each importer's imports of a material (HS lines in $hs6_list) in one
-- year, with supplier concentration and the top supplier: the choropleth and the ranking.
-- HHI treats the ROW bucket as one supplier, which can only raise the index (an upper bound);
-- hhi_min drops ROW's square, as if ROW were many tiny suppliers (a lower bound).
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER), $basis ('value' | 'quantity').
-- Output: importer (ISO3), china_share (0-1), hhi (0-1, ROW as one supplier), hhi_min (0-1),
--         top_supplier (ISO3, never ROW), top_share (0-1), row_share (0-1 in the ROW bucket),
--         n_suppliers (count incl. ROW), value_usd (USD, all suppliers), quantity_t (t),
--         china_listed (bool: China appears as a named supplier; if false and row_share > 0,
--         China may be inside ROW), source (text).
WITH s AS (
    SELECT * FROM supplier_shares($year, $hs6_list, $basis, NULL, false)
)
SELECT importer,
       coalesce(sum(share) FILTER (WHERE supplier = 'CHN'), 0) AS china_share,
       sum(share * share) AS hhi,
       coalesce(sum(share * share) FILTER (WHERE supplier <> 'ROW'), 0) AS hhi_min,
       arg_max(supplier, share) FILTER (WHERE supplier <> 'ROW' AND share IS NOT NULL) AS top_supplier,
       max(share) FILTER (WHERE supplier <> 'ROW') AS top_share,
       coalesce(sum(share) FILTER (WHERE supplier = 'ROW'), 0) AS row_share,
       count(*) AS n_suppliers,
       sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t,
       bool_or(supplier = 'CHN') AS china_listed,
       min(source) AS source
FROM s
GROUP BY importer
HAVING sum(share) IS NOT NULL
ORDER BY china_share DESC, importer;
