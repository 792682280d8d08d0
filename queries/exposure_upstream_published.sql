-- Published import-source shares of one controller (e.g. China) for upstream inputs: the
-- country-specific figures the look-through prefers over any proxy.
-- Params: $materials (VARCHAR[]: catalogue ids or group selectors of the upstream input),
--         $controller (ISO3 of the supplier whose share is wanted, e.g. 'CHN').
-- Output: importer (ISO3 or EUN), material (id or selector), share (0-1), period (text),
--         share_basis (text: what the share measures), source (text).
SELECT importer, material, share, period, basis AS share_basis, source
FROM import_shares
WHERE supplier = $controller AND list_contains($materials, material)
ORDER BY importer, list_position($materials, material), period DESC;
