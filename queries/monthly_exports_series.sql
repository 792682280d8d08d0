-- Monthly exports of a controller for one material, by destination, with the previous year's
-- monthly average as reference.
-- Params: $controller (ISO3), $material_id (catalogue id).
-- Output: period, period_start (date), months, to_country (ISO3, WLD = all),
--         quantity_t (t in the period), monthly_t (t per month), basis ('reported'/'derived'),
--         ref_monthly_t (t/month: average month of the previous calendar year, WLD only),
--         share_of_ref (monthly_t / ref_monthly_t), yoy_change, source.
WITH ref AS (
    SELECT year(period_start) + 1 AS ref_for_year, quantity_t / months AS ref_monthly_t
    FROM monthly_exports
    WHERE controller = $controller AND material_id = $material_id AND to_country = 'WLD' AND months = 12
)
SELECT e.period, e.period_start, e.months, e.to_country, e.quantity_t,
       e.quantity_t / e.months AS monthly_t, e.basis,
       CASE WHEN e.to_country = 'WLD' THEN r.ref_monthly_t END AS ref_monthly_t,
       CASE WHEN e.to_country = 'WLD' THEN (e.quantity_t / e.months) / r.ref_monthly_t END AS share_of_ref,
       e.yoy_change, e.source
FROM monthly_exports e
LEFT JOIN ref r ON r.ref_for_year = year(e.period_start)
WHERE e.controller = $controller AND e.material_id = $material_id AND e.months < 12
ORDER BY e.to_country, e.period_start;
