-- observed_monthly rows of an ingest of monthly customs files (chokepoint/ingest/monthly.py), in the
-- built-in table's columns plus value_native and currency.
-- Reads the ingest's own tables: mapped (rows kept, countries as ISO3, period YYYYMM as an integer),
-- files (file_id, currency, source) and hs_keep (the catalogue's HS lines).
-- One row per month, reporter, partner, flow and national code: a file's several lines for it (HMRC:
-- EU and non-EU flows, ports) are summed; confidential when any of them was suppressed.
-- value_usd only where the file is in US dollars: no exchange rate is applied.
SELECT printf('%04d-%02d', m.period // 100, m.period % 100) AS period,
       make_date(CAST(m.period // 100 AS INTEGER), CAST(m.period % 100 AS INTEGER), 1) AS period_start,
       m.reporter, m.partner, m.flow, left(m.native_code, 6) AS hs6, m.native_code, h.material_id,
       CASE WHEN f.currency = 'USD' THEN sum(m.value_native) END AS value_usd,
       sum(m.qty_kg) / 1000 AS quantity_t,
       bool_or(m.confidential) AS confidential,
       f.source,
       sum(m.value_native) AS value_native,
       f.currency
FROM mapped m
JOIN files f USING (file_id)
JOIN hs_keep h ON h.hs6 = left(m.native_code, 6)
GROUP BY m.period, m.reporter, m.partner, m.flow, m.native_code, h.material_id, f.currency, f.source
ORDER BY reporter, flow, hs6, period, partner
