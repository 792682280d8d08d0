-- Import reliance of one country, per material with a consumption figure: net imports /
-- apparent consumption. Net imports = imports - exports of the material's HS lines in $year
-- (trade_flows: every bilateral flow of the HS lines). Consumption rows with basis 'derived' are ESTIMATES
-- (consumption = imports), so reliance is ~100% by construction there. The raw ratio is not
-- shown as such: exposure.reliance_states keeps it only as a share in [0, 1] with one scope and
-- otherwise gives a state (scope mismatch, net exporter, no consumption figure).
-- Params: $country (ISO3), $year (INTEGER).
-- Output: material_id, material_name, consumption_year, apparent_consumption_t (t/year),
--         consumption_basis ('published' | 'derived'), consumption_method (text),
--         production_t (t, domestic, latest year, may be null), imports_t (t), exports_t (t),
--         net_imports_t (t), import_reliance (share; may exceed 1 when scopes differ; null when
--         the HS lines have no flows or, as in 2022, flows with a value but no quantity),
--         import_flows (bilateral import flows of the lines in $year, with or without a quantity),
--         hs6_lines (VARCHAR[]), source (text).
WITH c AS (
    SELECT * FROM consumption WHERE country = $country
    QUALIFY row_number() OVER (PARTITION BY material_id ORDER BY year DESC) = 1
), lines AS (
    SELECT c.material_id, unnest(m.hs6) AS hs6 FROM c JOIN materials m USING (material_id)
), imp AS (
    SELECT l.material_id, sum(t.quantity_t) AS imports_t, count(*) AS import_flows
    FROM lines l JOIN trade_flows t ON t.hs6 = l.hs6 AND t.importer = $country AND t.year = $year
    GROUP BY l.material_id
), exp AS (
    SELECT l.material_id, sum(t.quantity_t) AS exports_t
    FROM lines l JOIN trade_flows t ON t.hs6 = l.hs6 AND t.exporter = $country AND t.year = $year
    GROUP BY l.material_id
), prod AS (
    SELECT material_id, sum(quantity_t) AS production_t
    FROM production WHERE country = $country
    GROUP BY material_id
)
SELECT c.material_id, m.name AS material_name, c.year AS consumption_year, c.apparent_consumption_t,
       c.basis AS consumption_basis, c.method AS consumption_method, p.production_t,
       i.imports_t, coalesce(e.exports_t, 0) AS exports_t,
       i.imports_t - coalesce(e.exports_t, 0) AS net_imports_t,
       (i.imports_t - coalesce(e.exports_t, 0)) / nullif(c.apparent_consumption_t, 0) AS import_reliance,
       coalesce(i.import_flows, 0) AS import_flows, m.hs6 AS hs6_lines, c.source
FROM c JOIN materials m USING (material_id)
LEFT JOIN imp i USING (material_id) LEFT JOIN exp e USING (material_id) LEFT JOIN prod p USING (material_id)
ORDER BY c.basis DESC, m."group", c.material_id;
