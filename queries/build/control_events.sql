SELECT date, controller, measure,
        CASE WHEN materials IS NULL THEN []::VARCHAR[] ELSE string_split(materials, '|') END AS materials,
        items, targets, status, coalesce(note, '') AS note, source, tag FROM src_control_events ORDER BY date
