"""Community members comment on programmes and tenders in their area; commissioners read them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from markupsafe import escape

from fullvalue.web.accounts.models import Membership
from fullvalue.web.involvement.models import Comment

pytestmark = pytest.mark.django_db

DOMAIN = "demo.fullvalue.test"


def test_a_community_member_comments_and_the_commissioner_reads_it(signed_in):
    from fullvalue.web.demo.world import build_demo_world
    from fullvalue.web.programmes.models import Programme

    build_demo_world()
    member = Membership.objects.get(user__email=f"community@{DOMAIN}")
    page = signed_in(member).get(reverse("have-your-say")).content.decode()
    # Stretford is in the North West: the North West programmes are listed, the West
    # Midlands one is not.
    north_west = Programme.objects.filter(status="published", areas__code="E12000002").first()
    assert north_west is not None and str(escape(north_west.title)) in page
    elsewhere = Programme.objects.filter(status="published", areas__code="E12000005").first()
    assert elsewhere is None or str(escape(elsewhere.title)) not in page
    url = reverse("have-your-say")
    empty = signed_in(member).post(url, {"item": f"programme-{north_west.id}", "text": " "})
    assert empty.status_code == 400
    assert f'href="#programme-{north_west.id}-text"' in empty.content.decode()
    if elsewhere is not None:  # not in their area: refused
        refused = signed_in(member).post(url, {"item": f"programme-{elsewhere.id}", "text": "Hi"})
        assert refused.status_code == 400
        assert "not open for comment in your area" in refused.content.decode()
    sent = signed_in(member).post(
        url, {"item": f"programme-{north_west.id}", "text": "Please run sessions in Stretford."}
    )
    assert sent.status_code == 302
    assert Comment.objects.get().programme == north_west

    commissioner = Membership.objects.get(
        user__email=f"commissioner@{DOMAIN}", organisation=north_west.commissioner
    )
    received = signed_in(commissioner).get(url).content.decode()
    assert "Please run sessions in Stretford." in received
    assert "Stretford Residents&#39; Association" in received
