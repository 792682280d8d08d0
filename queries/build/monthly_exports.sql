SELECT * FROM src_monthly_exports ORDER BY to_country, period_start
