-- China's direct share of each importer's imports of a material (HS lines in $hs6_list) in one
-- year, with supplier concentration and the top supplier: the choropleth, the ranking and the
-- change between years. The built-in flows list every supplier, so HHI is exact.
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER), $basis ('value' | 'quantity').
-- Output: importer (ISO3), china_share (0-1), hhi (0-1, Herfindahl-Hirschman index of supplier
--         shares), top_supplier (ISO3), top_share (0-1), n_suppliers (count), value_usd (USD, all
--         suppliers), quantity_t (t; null when no supplier reported one), source (text).
WITH s AS (
    SELECT * FROM supplier_shares($year, $hs6_list, $basis, NULL, false)
)
SELECT importer,
       coalesce(sum(share) FILTER (WHERE supplier = 'CHN'), 0) AS china_share,
       sum(share * share) AS hhi,
       arg_max(supplier, share) FILTER (WHERE supplier <> 'ROW' AND share IS NOT NULL) AS top_supplier,
       max(share) FILTER (WHERE supplier <> 'ROW') AS top_share,
       count(*) AS n_suppliers,
       sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t,
       min(source) AS source
FROM s
GROUP BY importer
HAVING sum(share) IS NOT NULL
ORDER BY china_share DESC, importer;
