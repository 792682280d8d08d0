-- Every importer's supplier shares for a material (the HS lines in $hs6_list) in one year: the
-- input of the look-through (a supplier's own China share) and of the all-importer ranking.
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes), $year (INTEGER), $basis ('value' | 'quantity').
-- Output: importer (ISO3), supplier (ISO3), value_usd (USD),
--         quantity_t (t; null when not reported), share (0-1 of the importer's total on $basis).
SELECT importer, supplier, value_usd, quantity_t, share
FROM supplier_shares($year, $hs6_list, $basis, NULL, false)
ORDER BY importer, share DESC NULLS LAST, supplier;
