-- Published weight share of each element in NdFeB magnets (low and high end), for the elements a
-- country imports inside its magnets (HS 850511 tonnes x share = embedded tonnes, an ESTIMATE).
-- Params: none.
-- Output: material_id (catalogue element id), element (symbol), bound ('low' | 'high'),
--         share (0-1 of magnet weight), basis (text), quote (text), url (text), source (text),
--         tag ('V' primary | 'S' secondary page).
SELECT material_id, element, bound, share, basis, quote, url, source, tag
FROM magnet_content
ORDER BY material_id, bound DESC;
