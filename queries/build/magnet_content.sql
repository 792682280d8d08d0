SELECT material_id, element, bound, share, basis, quote, url, source, tag FROM src_magnet_content
ORDER BY material_id, bound DESC
