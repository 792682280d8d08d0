-- China's share of world production, latest year per material and stage.
-- Params: none.
-- Output: material_group, material_id, material_name, stage, year, china_share (0-1),
--         china_t (t, may be null), world_t (t, may be null), share_basis ('published' or
--         'computed' = China t / world t), estimate (bool), source (text).
WITH china AS (
    SELECT * FROM production WHERE country = 'CHN'
), world AS (
    SELECT year, material_id, stage, quantity_t AS world_t, source AS world_source
    FROM production WHERE country = 'WLD'
), joined AS (
    SELECT c.year, c.material_id, c.stage, c.quantity_t AS china_t, w.world_t,
           coalesce(c.share_of_world, c.quantity_t / nullif(w.world_t, 0)) AS china_share,
           CASE WHEN c.share_of_world IS NOT NULL THEN 'published' ELSE 'computed' END AS share_basis,
           c.estimate,
           CASE WHEN c.share_of_world IS NULL AND w.world_source <> c.source
                THEN c.source || '; ' || w.world_source ELSE c.source END AS source
    FROM china c LEFT JOIN world w USING (year, material_id, stage)
)
SELECT m."group" AS material_group, j.material_id, m.name AS material_name, j.stage, j.year,
       j.china_share, j.china_t, j.world_t, j.share_basis, j.estimate, j.source
FROM joined j JOIN materials m USING (material_id)
WHERE j.china_share IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY j.material_id, j.stage ORDER BY j.year DESC) = 1
ORDER BY material_group, CASE j.stage WHEN 'mine' THEN 1 WHEN 'refining' THEN 2
                                      WHEN 'metal' THEN 3 ELSE 4 END, j.material_id;
