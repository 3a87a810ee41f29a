"""Who may view, edit and analyse a consultation."""

from __future__ import annotations

import pytest

from consult.services import permissions as perm
from consult.services.errors import Forbidden

pytestmark = pytest.mark.db

# (account, may view, may edit, may analyse) for consultation A
MATRIX = [
    ("admin", True, True, True),
    ("facilitator", True, True, True),
    ("other_facilitator", False, False, False),
    ("analyst", True, False, True),
    ("outside_analyst", False, False, False),
    ("inactive", False, False, False),
    (None, False, False, False),
]


@pytest.mark.parametrize(("who", "view", "edit", "analyse"), MATRIX)
def test_the_permission_matrix(staff, action_plan, who, view, edit, analyse):
    user = getattr(staff, who) if who else None
    assert perm.can_view(user, action_plan) is view
    assert perm.can_edit(user, action_plan) is edit
    assert perm.can_analyse(user, action_plan) is analyse
    for action, allowed in ((perm.Action.VIEW, view), (perm.Action.EDIT, edit)):
        if allowed:
            perm.require(user, action, action_plan)
        else:
            with pytest.raises(Forbidden):
                perm.require(user, action, action_plan)


def test_the_facilitator_of_b_has_b_and_only_b(staff, action_plan, question_types):
    other = staff.other_facilitator
    assert perm.can_edit(other, question_types)
    assert not perm.can_view(other, action_plan)
    assert not perm.can_view(staff.facilitator, question_types)
    with pytest.raises(Forbidden, match="you do not have access to this consultation"):
        perm.require(other, perm.Action.VIEW, action_plan)


def test_messages_name_what_is_refused(staff, action_plan):
    with pytest.raises(Forbidden, match="you may not change this consultation"):
        perm.require(staff.analyst, perm.Action.EDIT, action_plan)
    with pytest.raises(Forbidden, match="may not read the results"):
        perm.require(staff.outside_analyst, perm.Action.ANALYSE, action_plan)


def test_an_inactive_admin_may_do_nothing(session, staff, action_plan):
    staff.admin.active = False
    assert not perm.is_admin(staff.admin)
    assert not perm.can_view(staff.admin, action_plan)
    with pytest.raises(Forbidden):
        perm.require_admin(staff.admin)


def test_who_may_create_consultations(staff):
    assert perm.can_create_consultation(staff.admin)
    assert perm.can_create_consultation(staff.facilitator)
    assert not perm.can_create_consultation(staff.analyst)
    assert not perm.can_create_consultation(staff.inactive)
    assert not perm.can_create_consultation(None)


def test_visible_consultations(session, staff, action_plan, question_types):
    def slugs(user):
        return sorted(c.slug for c in session.scalars(perm.visible_consultations(user)))

    both = sorted([action_plan.slug, question_types.slug])
    assert slugs(staff.admin) == both
    assert slugs(staff.facilitator) == [action_plan.slug]
    assert slugs(staff.analyst) == [action_plan.slug]
    assert slugs(staff.other_facilitator) == [question_types.slug]
    assert slugs(staff.outside_analyst) == []
    assert slugs(staff.inactive) == []
    assert slugs(None) == []
