-- Every importer's supplier shares for a material (the HS lines in $hs6_list) in one year: the
-- input of the look-through (a supplier's own China share) and of the all-importer ranking.
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER), $basis ('value' | 'quantity').
-- Output: importer (ISO3), supplier (ISO3 or 'ROW' = rest-of-world bucket), value_usd (USD),
--         quantity_t (t; null when not reported), share (0-1 of the importer's total on $basis).
WITH f AS (
    SELECT importer, exporter AS supplier, sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t
    FROM trade_flows
    WHERE year = $year AND list_contains($hs6_list, hs6)
    GROUP BY importer, exporter
), a AS (
    SELECT *, CASE WHEN $basis = 'quantity' THEN quantity_t ELSE value_usd END AS amount FROM f
)
SELECT importer, supplier, value_usd, quantity_t,
       amount / nullif(sum(amount) OVER (PARTITION BY importer), 0) AS share
FROM a
ORDER BY importer, share DESC NULLS LAST, supplier;
