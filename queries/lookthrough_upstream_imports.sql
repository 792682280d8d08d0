-- Every country's own imports of an upstream input (the HS lines in $hs6_list) in one year, split
-- into China, the rest-of-world bucket and the rest: evidence (a) of the look-through ladder
-- (chokepoint/lookthrough.py). Read generically: any number of named suppliers, with or without a
-- ROW bucket (on full bilateral data row_share is 0).
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes of the upstream input), $year (INTEGER),
--         $basis ('value' | 'quantity': what the shares measure).
-- Output: importer (ISO3), china_share (0-1 of its imports on $basis), row_share (0-1 in the ROW
--         bucket, where China may hide), value_usd (USD), quantity_t (t; null when not reported),
--         china_t (t from China), row_t (t in the ROW bucket), n_suppliers (count incl. ROW).
WITH s AS (
    SELECT * FROM supplier_shares($year, $hs6_list, $basis, NULL, false)
)
SELECT importer,
       coalesce(sum(share) FILTER (WHERE supplier = 'CHN'), 0) AS china_share,
       coalesce(sum(share) FILTER (WHERE supplier = 'ROW'), 0) AS row_share,
       sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t,
       coalesce(sum(quantity_t) FILTER (WHERE supplier = 'CHN'), 0) AS china_t,
       coalesce(sum(quantity_t) FILTER (WHERE supplier = 'ROW'), 0) AS row_t,
       count(*) AS n_suppliers
FROM s
GROUP BY importer
HAVING sum(share) IS NOT NULL
ORDER BY importer;
