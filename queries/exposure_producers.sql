-- Producing countries of a material at one stage, latest year per country (domestic producers
-- are treated as supplying themselves in the look-through).
-- Params: $material_id (catalogue id), $stage ('mine' | 'refining' | 'metal' | 'magnet').
-- Output: country (ISO3, WLD = world total), year, quantity_t (t, see unit_note; may be null),
--         share_of_world (0-1 as published; may be null), estimate (bool), unit_note, source.
SELECT country, year, quantity_t, share_of_world, estimate, unit_note, source
FROM production
WHERE material_id = $material_id AND stage = $stage
QUALIFY row_number() OVER (PARTITION BY country ORDER BY year DESC) = 1
ORDER BY country = 'WLD' DESC, quantity_t DESC NULLS LAST, country;
