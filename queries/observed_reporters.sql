-- Reporting countries and materials with monthly customs data, and the months each covers.
-- Params: none.
-- Output: reporter (ISO3), material_id (catalogue id), first_period and last_period (YYYY-MM),
--         months (count of months with any import row), source.
SELECT reporter, material_id, min(period) AS first_period, max(period) AS last_period,
       count(DISTINCT period) AS months, min(source) AS source
FROM observed_monthly
WHERE flow = 'import'
GROUP BY reporter, material_id
ORDER BY reporter, material_id;
