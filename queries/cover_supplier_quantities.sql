-- Every importer's suppliers of a material (the HS lines in $hs6_list) in one year, on a QUANTITY
-- basis (tonnes): the supply lines of months of cover. Suppliers that reported no quantity are
-- left out of the shares and counted in n_no_quantity. Every supplier the source records is listed.
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER).
-- Output: importer (ISO3), supplier (ISO3), quantity_t (t in $year), imports_t (t, the
--         importer's total with a reported quantity), share (0-1 of imports_t; null when the
--         importer reported no quantity at all), n_no_quantity (suppliers of the importer without
--         a quantity), source (text).
WITH f AS (
    SELECT importer, exporter AS supplier, sum(quantity_t) AS quantity_t, min(source) AS source
    FROM trade_flows
    WHERE year = $year AND list_contains($hs6_list, hs6)
    GROUP BY importer, exporter
)
SELECT importer, supplier, quantity_t,
       sum(quantity_t) OVER (PARTITION BY importer) AS imports_t,
       quantity_t / nullif(sum(quantity_t) OVER (PARTITION BY importer), 0) AS share,
       count(*) FILTER (WHERE quantity_t IS NULL) OVER (PARTITION BY importer) AS n_no_quantity,
       source
FROM f
ORDER BY importer, quantity_t DESC NULLS LAST, supplier;
