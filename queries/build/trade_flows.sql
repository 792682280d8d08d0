-- Every bilateral flow of the three HS lines: 2024 from BACI HS92 (value in thousands of USD,
-- quantity in tonnes) and 2022 from BACI HS17 (value in USD, no quantity: quantity_t is null).
WITH f AS (
    SELECT year, iso(exporter) AS exporter, iso(importer) AS importer, hs6,
           value_kusd * 1000 AS value_usd, qty_t AS quantity_t,
           'CEPII BACI HS92 V202601 (2024), every bilateral flow' AS source
    FROM src_baci2024_bilateral_850511_810411_810820
    UNION ALL
    SELECT year, iso(exporter_iso3), iso(importer_iso3), hs6, value_usd, CAST(NULL AS DOUBLE),
           'CEPII BACI HS17 V202601 (2022), every bilateral flow, value only'
    FROM src_baci2022_bilateral_value_850511_810411_810820
)
SELECT f.year, f.exporter, f.importer, f.hs6, h.material_id, f.value_usd, f.quantity_t, f.source
FROM f JOIN src_hs_codes h USING (hs6)
ORDER BY year, hs6, importer, value_usd DESC, exporter
