-- China's (or another controller's) export-control measures in date order.
-- Params: $controller (ISO3).
-- Output: date, measure, items (text), materials (VARCHAR[] catalogue selectors), targets, status,
--         note, source, tag ('V' primary / 'S' secondary).
SELECT date, measure, items, materials, targets, status, note, source, tag
FROM control_events
WHERE controller = $controller
ORDER BY date;
