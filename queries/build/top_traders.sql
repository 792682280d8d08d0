SELECT year, hs6, role, rank, iso(iso2) AS country, value_usd, share, source
        FROM src_baci_top_traders ORDER BY hs6, year, role, rank
