SELECT iso(importer) AS importer, material_id AS material, iso(supplier) AS supplier,
        share, period, basis, source FROM src_import_shares
