"""Domain constants shared by every layer: one value each, defined here and nowhere else.

``DAYS_PER_MONTH`` is 365.25 / 12 = 30.4375, the mean month of the Julian year (the mean
Gregorian month, 365.2425 / 12, differs in the fourth decimal). Months of cover are computed in
months; days are used only to turn a month count into a calendar date (run-out dates) and to
turn a stockpile target given in days into months. One value for both the country model and the
company model, so a run-out date never depends on which page computed it.
"""
from __future__ import annotations

#: Mean month in days (365.25 / 12), for run-out dates and days-of-stock targets.
DAYS_PER_MONTH = 365.25 / 12

#: The country whose export controls every regime in the library models.
CONTROLLER = "CHN"
#: Trade data's rest-of-world bucket: a supplier (it counts in every denominator), never a holder.
ROW = "ROW"
#: The world aggregate in series tables.
WORLD = "WLD"
#: Areas in trade data that are not countries: never holders of stock, never pickable importers.
NOT_HOLDERS = (ROW, WORLD, "EUN")
#: A supplier country nobody stated (company data).
UNKNOWN_ORIGIN = "UNK"

#: Months of use held in industry inventories when nothing else is known (AmCham survey, May 2025).
DEFAULT_STOCK_MONTHS = 3.0
#: The rare-earth magnet material the headline charts and findings are about.
MAGNETS = "permanent_magnets"
#: The magnet material of China's monthly export series.
MAGNET_EXPORTS_MATERIAL = "ndfeb_magnet"
