SELECT hs6, description, material_id, scope, coalesce(caveat, '') AS caveat, source FROM src_hs_codes
