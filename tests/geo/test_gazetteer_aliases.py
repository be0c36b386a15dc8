from nadhir.domain import Place
from nadhir.geo.gazetteer import Gazetteer


def test_a_gazetteer_entry_with_a_sites_id_adds_aliases_to_the_site() -> None:
    site = Place(id="town-a", name="Tall Abyad", lat=35.0, lon=36.0, kind="town")
    extra = Place(id="town-a", name="Tel Abiad", lat=0.0, lon=0.0, aliases=("تل أبيض",))
    gazetteer = Gazetteer([site, extra])
    assert len(gazetteer) == 1
    for name in ("Tel Abiad", "تل ابيض", "Tall Abyad"):
        match = gazetteer.lookup(name)
        assert match is not None and match.place is site
