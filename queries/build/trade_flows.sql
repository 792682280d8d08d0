SELECT b.year, iso(b.supplier) AS exporter, iso(b.importer) AS importer, b.hs6,
        h.material_id, b.value_kusd * 1000 AS value_usd, b.qty_t AS quantity_t, b.source
        FROM src_baci_2024_import_sources b JOIN src_hs_codes h USING (hs6)
        ORDER BY year, hs6, importer, value_usd DESC
