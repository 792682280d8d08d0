-- Monthly customs data after the controls, one row per month, reporter, partner, flow and national code.
-- HMRC's several lines per month/partner/code are summed (a month is confidential if any line was);
-- Comex Stat has no confidentiality flag. National codes map to HS6 by their first six digits,
-- HS6 to the catalogue material through hs_codes.
WITH uk AS (
    SELECT period, reporter, partner, flow, hs6, native_code, sum(value_usd) AS value_usd,
           sum(qty_kg) / 1000 AS quantity_t, bool_or(confidential) AS confidential,
           'HM Revenue & Customs, UK overseas trade statistics (value converted from GBP by the extract''s pipeline); '
           || 'Open Government Licence v3.0; via Varcolacus/critical-materials-atlas pipeline/data/flows.parquet '
           || '(snapshot 17b328d2239864e993895582a29fdd3b5ceb479b)' AS source
    FROM src_uk_hmrc_monthly_202406_202606
    GROUP BY ALL
), br AS (
    SELECT period, reporter, partner, flow, hs6, native_code, sum(value_usd) AS value_usd,
           sum(qty_kg) / 1000 AS quantity_t, CAST(NULL AS BOOLEAN) AS confidential,
           'MDIC/SECEX Comex Stat (Brazil), FOB USD; via Varcolacus/critical-materials-atlas '
           || 'pipeline/data/flows.parquet (snapshot 17b328d2239864e993895582a29fdd3b5ceb479b)' AS source
    FROM src_br_comexstat_monthly_202501_202607
    GROUP BY ALL
), a AS (SELECT * FROM uk UNION ALL SELECT * FROM br)
SELECT substr(a.period, 1, 4) || '-' || substr(a.period, 5, 2) AS period,
       CAST(strptime(a.period || '01', '%Y%m%d') AS DATE) AS period_start,
       iso(a.reporter) AS reporter, iso(a.partner) AS partner, a.flow,
       substr(a.native_code, 1, 6) AS hs6, a.native_code, h.material_id,
       a.value_usd, a.quantity_t, a.confidential, a.source
FROM a JOIN src_hs_codes h ON h.hs6 = substr(a.native_code, 1, 6)
ORDER BY reporter, flow, hs6, period, partner
