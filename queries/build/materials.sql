SELECT material_id, name, "group", subgroup, form,
        string_split(elements, '|') AS elements, string_split(hs6, '|') AS hs6,
        string_split(synonyms, '|') AS synonyms, coalesce(note, '') AS note, source
        FROM src_materials
