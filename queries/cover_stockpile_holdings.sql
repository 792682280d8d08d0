-- National stockpile HOLDINGS in tonnes (published quantities actually held, not targets or planned
-- acquisitions), the stock evidence of months of cover where a country has one.
-- Params: none.
-- Output: holder (text), country (ISO3 or area code), material (catalogue selector: id or group
--         name), quantity_t (t held), as_of (text: year or year-month), note (text), source (text).
SELECT holder, country, material, quantity_t, as_of, note, source
FROM stockpiles
WHERE measure = 'holding' AND quantity_t IS NOT NULL
ORDER BY country, material, holder;
