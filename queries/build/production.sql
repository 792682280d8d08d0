SELECT year, country, material_id, stage, quantity_t, share_of_world, estimate,
        unit_note, source FROM src_production
