"""The catalogue: materials, selectors and countries resolve as a purchasing department writes them."""
import pytest

from chokepoint import catalog


def test_seventeen_rare_earth_elements_each_light_or_heavy():
    els = catalog.elements()
    assert len(els) == 17
    assert {e.rare_earth_class for e in els.values()} == {"light", "heavy"}
    assert els["dysprosium"].rare_earth_class == "heavy"
    assert els["neodymium"].rare_earth_class == "light"


@pytest.mark.parametrize("form", ["ore", "compound", "metal", "magnet", "slag", "alloy", "powder"])
def test_every_form_is_catalogued(form):
    assert any(m.form == form for m in catalog.materials().values())


def test_every_material_has_hs_codes_and_synonyms():
    for m in catalog.materials().values():
        assert m.hs6 and all(len(h) == 6 and h.isdigit() for h in m.hs6), m.material_id
        assert m.synonyms, m.material_id
        assert m.group in catalog.GROUPS


@pytest.mark.parametrize("text,expected", [
    ("Dysprosium oxide", "dysprosium_oxide"), ("NdFeB magnets", "ndfeb_magnet"),
    ("titanium sponge", "titanium_sponge"), ("  TITANIUM-SPONGE ", "titanium_sponge"),
    ("Dy2O3", "dysprosium_oxide"), ("AZ91", "magnesium_alloy"), ("samarium cobalt magnets", "smco_magnet"),
    ("ndfeb_magnet", "ndfeb_magnet"),
])
def test_resolve_material(text, expected):
    assert catalog.resolve_material(text) == expected


def test_unknown_material_suggests_the_closest_name():
    with pytest.raises(catalog.CatalogError) as e:
        catalog.resolve_material("dysprosim oxide")
    assert "dysprosium oxide" in e.value.suggestions
    assert "did you mean" in str(e.value)


def test_selectors_expand_per_design():
    assert catalog.expand_selector("dysprosium") == {"dysprosium", "dysprosium_oxide", "dysprosium_metal"}
    assert catalog.expand_selector("ndfeb_magnet") == {"ndfeb_magnet"}
    assert "magnesium_metal" in catalog.expand_selector("magnesium")
    heavy = catalog.expand_selector("heavy_rare_earths")
    assert "terbium_metal" in heavy and "neodymium_oxide" not in heavy
    with pytest.raises(catalog.CatalogError):
        catalog.expand_selector("unobtainium")


@pytest.mark.parametrize("text,iso3", [
    ("NA", "NAM"), ("Namibia", "NAM"), ("de", "DEU"), ("DEU", "DEU"), ("Germany", "DEU"),
    ("South Korea", "KOR"), ("S19", "TWN"), ("united states", "USA"), ("ROW", "ROW"),
])
def test_country_iso3(text, iso3):
    assert catalog.country_iso3(text) == iso3


def test_unknown_country_suggests():
    with pytest.raises(catalog.CatalogError) as e:
        catalog.country_iso3("Germny")
    assert "Germany" in e.value.suggestions


def test_short_name_drops_the_bracketed_qualifier():
    m = catalog.materials()["permanent_magnets"]
    assert m.name == "Metal permanent magnets (HS 850511, all types)"
    assert m.short_name == "Metal permanent magnets" == catalog.short_name(m.name)
    assert catalog.materials()["ilmenite"].short_name == "Ilmenite"


def test_one_days_per_month_value():
    from chokepoint import constants
    assert constants.DAYS_PER_MONTH == 365.25 / 12 == 30.4375
