-- Top exporters (or importers) of an HS line in one year.
-- Params: $hs6 (code), $year (integer), $role ('exporter' | 'importer').
-- Output: rank, country (ISO3), value_usd (USD), share (0-1 of world value), source.
SELECT rank, country, value_usd, share, source
FROM top_traders
WHERE hs6 = $hs6 AND year = $year AND role = $role
ORDER BY rank;
