-- trade_series of an ingested dataset, over view tf (its trade_flows). Bound: $vintage, $source.
WITH e AS (
    SELECT year, hs6, exporter, sum(value_usd) AS v FROM tf GROUP BY ALL
), w AS (
    SELECT year, hs6, sum(value_usd) AS world_value_usd, sum(quantity_t) AS world_quantity_t,
           count(*)::INTEGER AS n_flows FROM tf GROUP BY ALL
), s AS (
    SELECT e.year, e.hs6,
           coalesce(sum(e.v) FILTER (WHERE e.exporter = 'CHN'), 0) / nullif(any_value(w.world_value_usd), 0) AS china_export_share,
           sum((e.v / nullif(w.world_value_usd, 0)) ^ 2) AS export_hhi
    FROM e JOIN w USING (year, hs6) GROUP BY ALL
)
SELECT w.year::INTEGER AS year, w.hs6, $vintage AS hs_vintage, w.world_value_usd, w.world_quantity_t,
       w.n_flows, s.china_export_share, s.export_hhi, $source AS source
FROM w JOIN s USING (year, hs6) ORDER BY hs6, year
