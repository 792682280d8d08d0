WITH published AS (SELECT year, country, material_id, apparent_consumption_t, basis, method, source
                           FROM src_consumption),
        imports AS (SELECT b.year, iso(b.importer) AS country, h.material_id, sum(b.qty_t) AS q
                    FROM src_baci2024_bilateral_850511_810411_810820 b JOIN src_hs_codes h USING (hs6)
                    GROUP BY ALL HAVING sum(b.qty_t) IS NOT NULL)
        SELECT * FROM published
        UNION ALL
        SELECT i.year, i.country, i.material_id, i.q, 'derived',
               'ESTIMATE: 2024 imports from all suppliers; no domestic production or re-export netting',
               'Derived by Chokepoint from CEPII BACI HS92 V202601 (2024)'
        FROM imports i
        WHERE NOT EXISTS (SELECT 1 FROM published p WHERE p.country = i.country
                          AND p.material_id = i.material_id)
        ORDER BY country, material_id
