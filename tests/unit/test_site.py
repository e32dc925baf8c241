"""Site divisions: names and 统计用区划代码 must fit together; nothing hard-coded."""

from __future__ import annotations

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Site
from canxie_tui.store.site import validate_site


def test_community_street_and_district_sites_accepted() -> None:
    validate_site(
        Site("江北区", "500105", "观音桥街道", "500105006", "建新东路社区", "500105006001")
    )
    validate_site(Site("江北区", "500105", "观音桥街道", "500105006"))
    validate_site(Site("两江新区", "500157"))  # a district office that merges returns


@pytest.mark.parametrize(
    ("site", "field", "words"),
    [
        (Site("", "500105"), "district_name", "区县名称"),
        (Site("江北区", "500105", "", "", "建新东路社区", "500105006001"), "street_name", "街道"),
        (Site("江北区", "50010", "观音桥街道", "500105006"), "district_code", "应为6位数字"),
        (Site("江北区", "500105", "观音桥街道", "500105"), "street_code", "应为9位数字"),
        (Site("江北区", "500105", "500105006", "500105006"), "street_name", "像是代码"),
        (Site("江北区", "500105", "观音桥街道", "500112006"), "street_code", "应以区县代码"),
        (Site("江北区", "500105", "观音桥街道", "", "", "500105006001"), "community_name", "名称"),
    ],
)
def test_inconsistent_sites_refused(site: Site, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_site(site)
    assert caught.value.field == field and words in caught.value.message
