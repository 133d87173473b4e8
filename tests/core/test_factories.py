from stdnum.it import iva
from stdnum.ru import inn

from tests.factories import inn10, inn12, partita_iva


def test_generated_tax_ids_are_valid():
    assert all(inn.is_valid(inn10(i)) for i in range(300))
    assert all(inn.is_valid(inn12(i)) for i in range(300))
    assert all(iva.is_valid(partita_iva(i)) for i in range(300))
