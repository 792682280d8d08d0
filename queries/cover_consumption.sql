-- Monthly use of one material per country, for months of cover: one consumption row per country,
-- a published figure first, else the derived one (derived = 2024 imports, an ESTIMATE), latest year.
-- Params: $material_id (catalogue material id).
-- Output: country (ISO3 or area code such as EUN / WLD), year (INTEGER), apparent_consumption_t
--         (t/year), use_t_per_month (t/month = apparent_consumption_t / 12), basis ('published' |
--         'derived'), method (text: how the figure was obtained), source (text).
SELECT country, year, apparent_consumption_t, apparent_consumption_t / 12.0 AS use_t_per_month,
       basis, method, source
FROM consumption
WHERE material_id = $material_id
QUALIFY row_number() OVER (PARTITION BY country
                           ORDER BY (basis = 'published') DESC, year DESC) = 1
ORDER BY country;
