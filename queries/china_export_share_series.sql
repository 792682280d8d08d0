-- China's share of world export value by year, for the HS lines in $hs6_list.
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes).
-- Output: year, hs6, hs_label (text), china_export_share (0-1), export_hhi (0-1),
--         world_value_usd (USD), world_quantity_t (t), source (text).
SELECT s.year, s.hs6, h.description AS hs_label, s.china_export_share, s.export_hhi,
       s.world_value_usd, s.world_quantity_t, s.source
FROM trade_series s JOIN hs_codes h USING (hs6)
WHERE list_contains($hs6_list, s.hs6)
ORDER BY s.hs6, s.year;
