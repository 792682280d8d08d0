-- National stockpile policies expressed in days of use (e.g. JOGMEC 60 days, KOMIR 100 days), for
-- the stock side of months of cover. Targets are policy goals, not verified holdings.
-- Params: $measure (text: 'target', 'target upper bound', ...).
-- Output: holder (text), holder_type ('government' | 'industry'), country (ISO3 or area code),
--         material (catalogue selector: id or group name), measure (text), days_of_use (days),
--         as_of (text: year or year-month), note (text), source (text).
SELECT holder, holder_type, country, material, measure, days_of_use, as_of, note, source
FROM stockpiles
WHERE measure = $measure AND days_of_use IS NOT NULL
ORDER BY country, material, holder;
