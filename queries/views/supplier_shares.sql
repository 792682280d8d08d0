-- Table macro supplier_shares(p_year, p_hs6_list, p_basis, p_importer, p_by_line): the supplier
-- shares that every exposure query starts from, defined once. Created on each dataset connection
-- (chokepoint/db.py) after the table views.
-- Params: p_year (INTEGER); p_hs6_list (VARCHAR[] of HS 6-digit codes, NULL = every line);
--         p_basis ('value' | 'quantity': what the shares measure); p_importer (ISO3, NULL = all);
--         p_by_line (BOOLEAN: true = shares within each HS line, false = over the listed lines).
-- Output: importer (ISO3), line (hs6 when p_by_line, else NULL), supplier (ISO3; every supplier
--         the source records, so shares are exact), value_usd (USD), quantity_t
--         (t; null when not reported), n_hs6 (HS lines the supplier ships), source (text),
--         amount (value_usd or quantity_t per p_basis), share (0-1 of the importer's amount,
--         per line when p_by_line).
CREATE OR REPLACE MACRO supplier_shares(p_year, p_hs6_list, p_basis, p_importer, p_by_line) AS TABLE
WITH f AS (
    SELECT importer, CASE WHEN p_by_line THEN hs6 END AS line, exporter AS supplier,
           sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t,
           count(DISTINCT hs6) AS n_hs6, min(source) AS source
    FROM trade_flows
    WHERE year = p_year
      AND (p_hs6_list IS NULL OR list_contains(p_hs6_list, hs6))
      AND (p_importer IS NULL OR importer = p_importer)
    GROUP BY ALL
), a AS (
    SELECT *, CASE WHEN p_basis = 'quantity' THEN quantity_t ELSE value_usd END AS amount FROM f
)
SELECT *, amount / nullif(sum(amount) OVER (PARTITION BY importer, line), 0) AS share
FROM a;
