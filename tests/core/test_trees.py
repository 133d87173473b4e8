import pytest
from django.core.exceptions import ValidationError

from raccordo.access.models import Department
from raccordo.catalog.models import ProductGroup

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Department, ProductGroup])
def test_a_node_cannot_go_below_itself(model):
    top = model.objects.create(name="top")
    middle = model.objects.create(name="middle", parent=top)
    leaf = model.objects.create(name="leaf", parent=middle)
    leaf.full_clean()
    top.parent = leaf
    with pytest.raises(ValidationError) as exc:
        top.full_clean()
    assert "parent" in exc.value.message_dict
    top.parent = top
    with pytest.raises(ValidationError):
        top.full_clean()
