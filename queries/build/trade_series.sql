SELECT year, hs6, hs_vintage, world_value_usd, world_tonnes AS world_quantity_t, n_flows,
        china_export_share, export_hhi, source FROM src_baci_world_series ORDER BY hs6, year
