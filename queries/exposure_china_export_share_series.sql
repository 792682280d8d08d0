-- China's share of world exports over time for the HS lines in $hs6_list: the published world
-- series (trade_series) where it exists, else computed from the bilateral flows (trade_flows:
-- China's exports / all exports recorded, for a year and line the published series lacks).
-- Params: $hs6_list (VARCHAR[]: HS 6-digit codes).
-- Output: year, hs6, china_export_share (0-1 of world export value), world_value_usd (USD),
--         world_quantity_t (t), series_basis ('published world series' | 'computed from bilateral
--         flows'), source (text).
WITH published AS (
    SELECT year, hs6, china_export_share, world_value_usd, world_quantity_t,
           'published world series' AS series_basis, source
    FROM trade_series
    WHERE list_contains($hs6_list, hs6)
), computed AS (
    SELECT year, hs6,
           sum(value_usd) FILTER (WHERE exporter = 'CHN') / nullif(sum(value_usd), 0) AS china_export_share,
           sum(value_usd) AS world_value_usd, sum(quantity_t) AS world_quantity_t,
           'computed from bilateral flows' AS series_basis,
           min(source) AS source
    FROM trade_flows
    WHERE list_contains($hs6_list, hs6)
    GROUP BY year, hs6
)
SELECT * FROM published
UNION ALL
SELECT c.year, c.hs6, coalesce(c.china_export_share, 0), c.world_value_usd, c.world_quantity_t,
       c.series_basis, c.source
FROM computed c
WHERE NOT EXISTS (SELECT 1 FROM published p WHERE p.year = c.year AND p.hs6 = c.hs6)
ORDER BY hs6, year;
