-- World series per HS line and year: the first extract (with flow counts) for its lines, the
-- second (critical-materials-atlas) for the lines the first does not have.
SELECT year, hs6, hs_vintage, world_value_usd, world_tonnes AS world_quantity_t, n_flows,
        china_export_share, export_hhi, source FROM src_baci_world_series
UNION ALL
SELECT year, hs6, hs_vintage, world_usd, world_tonnes, CAST(NULL AS INTEGER), china_export_share, export_hhi,
       'CEPII BACI V202601 (HS vintage per year), world totals and exporter shares as derived in '
       || 'Varcolacus/critical-materials-atlas (magnet_trade.json, titanium_trade.json)'
FROM src_baci_world_series_2002_2024_280530_284690_850511_261400_810820 n
WHERE n.hs6 NOT IN (SELECT DISTINCT hs6 FROM src_baci_world_series)
ORDER BY hs6, year
