-- Supplier shares of one importer's imports of a material (the HS lines in $hs6_list) in one year.
-- Every supplier the source records is listed (no rest-of-world bucket); a share is null when
-- the supplier has no amount on $basis (quantity not reported, or 2022: value only).
-- Params: $importer (ISO3), $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER),
--         $basis ('value' | 'quantity': what the shares measure).
-- Output: supplier (ISO3), value_usd (USD), quantity_t (t; null when not reported),
--         share (0-1 of the importer's total on $basis), rank (1 = largest share; a rest-of-world bucket 'ROW', which
--         the built-in flows do not have, ranks last),
--         n_hs6 (HS lines the supplier ships), source (text).
WITH a AS (
    SELECT * FROM supplier_shares($year, $hs6_list, $basis, $importer, false)
)
SELECT supplier, value_usd, quantity_t,
       share,
       row_number() OVER (ORDER BY (supplier = 'ROW'), amount DESC NULLS LAST, supplier) AS rank,
       n_hs6, source
FROM a
ORDER BY rank;
