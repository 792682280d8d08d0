-- Monthly imports of one reporting country for one material, by partner (customs data after the controls).
-- Params: $reporter (ISO3), $material (catalogue id).
-- Output: period (YYYY-MM), period_start (date), partner (ISO3), quantity_t (t in the month),
--         value_usd (USD in the month; UK converted from GBP by the extract's pipeline),
--         confidential (bool; null = the source has no flag), source.
SELECT period, period_start, partner, sum(quantity_t) AS quantity_t, sum(value_usd) AS value_usd,
       bool_or(confidential) AS confidential, min(source) AS source
FROM observed_monthly
WHERE reporter = $reporter AND material_id = $material AND flow = 'import'
GROUP BY period, period_start, partner
ORDER BY period_start, partner;
