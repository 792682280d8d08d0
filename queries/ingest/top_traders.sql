-- top_traders of an ingested dataset, over view tf (its trade_flows). Bound: $source.
WITH r AS (
    SELECT year, hs6, 'exporter' AS role, exporter AS country, sum(value_usd) AS value_usd FROM tf GROUP BY ALL
    UNION ALL
    SELECT year, hs6, 'importer', importer, sum(value_usd) FROM tf GROUP BY ALL
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY year, hs6, role ORDER BY value_usd DESC NULLS LAST, country) AS rank,
           value_usd / nullif(sum(value_usd) OVER (PARTITION BY year, hs6, role), 0) AS share
    FROM r
)
SELECT year::INTEGER AS year, hs6, role, rank::INTEGER AS rank, country, value_usd, share, $source AS source
FROM ranked WHERE rank <= 8 ORDER BY hs6, year, role, rank
