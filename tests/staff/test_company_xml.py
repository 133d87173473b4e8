"""The company.xml site exchange at /bitrix/admin/1c_intranet.php: checkauth, init, file, import, over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from raccordo.exchange.models import Run
from raccordo.exchange.onec.models import OneCRequest
from raccordo.staff.models import Absence, AbsenceKind, DepartmentLink, Employee

from .conftest import LOGIN, PASSWORD

pytestmark = pytest.mark.django_db
URL = "/bitrix/admin/1c_intranet.php"


def company(*, dismissed: bool = False, vacation_deleted: bool = False, encoding: str = "windows-1251") -> bytes:
    fired = ("<Состояние><Значение>Уволен</Значение><ДатаИзменения>2026-11-30</ДатаИзменения>"
             "<Подразделение>D2</Подразделение></Состояние>") if dismissed else ""
    status = "<Статус>Удален</Статус>" if vacation_deleted else ""
    xml = f"""<?xml version="1.0" encoding="{encoding}"?>
<КоммерческаяИнформация ВерсияСхемы="2.03">
 <Классификатор><Ид>ORG</Ид><Наименование>ООО Ромашка</Наименование>
  <Подразделения><Подразделение><Ид>D1</Ид><Наименование>Дирекция</Наименование><Руководитель>W1</Руководитель>
   <Подразделения><Подразделение><Ид>D2</Ид><Наименование>Продажи</Наименование></Подразделение></Подразделения>
  </Подразделение></Подразделения></Классификатор>
 <ОрганизационнаяСтруктура><Работники>
  <Работник><Ид>W1</Ид><Фамилия>Петров</Фамилия><Имя>Пётр</Имя><Отчество>Ильич</Отчество>
   <ДатаРождения>1975-03-02</ДатаРождения><Пол>Мужской</Пол><Должность>Директор</Должность>
   <Картинка>import_files/petrov.jpg</Картинка>
   <Контакты><Контакт><Тип>Почта</Тип><Значение>petrov@example.com</Значение></Контакт>
    <Контакт><Тип>ТелефонВнутренний</Тип><Значение>101</Значение></Контакт>
    <Контакт><Тип>Голубь</Тип><Значение>x</Значение></Контакт></Контакты>
   <Подразделения><Подразделение>D1</Подразделение></Подразделения>
   <ИсторияСостояний><Состояние><Значение>Принят</Значение><ДатаИзменения>2020-01-01</ДатаИзменения>
    <Подразделение>D1</Подразделение><Должность>Директор</Должность></Состояние>{fired}</ИсторияСостояний>
  </Работник>
  <Работник><Ид>W2</Ид><Фамилия>Сидорова</Фамилия><Имя>Ольга</Имя><Пол>Женский</Пол><Должность>Менеджер</Должность>
   <Подразделения><Подразделение>D2</Подразделение></Подразделения></Работник>
 </Работники></ОрганизационнаяСтруктура>
 <ГрафикОтсутствий><ЗаписиГрафика>
  <ЗаписьГрафика><Ид>A1</Ид>{status}<Работник>W2</Работник><ДатаНачала>2026-12-01</ДатаНачала>
   <ДатаОкончания>2026-12-14</ДатаОкончания><Состояние>Отпуск основной</Состояние></ЗаписьГрафика>
  <ЗаписьГрафика><Ид>A2</Ид><Работник>W2</Работник><ДатаНачала>2027-01-10</ДатаНачала>
   <ДатаОкончания>2027-01-11</ДатаОкончания><Состояние>Командировка</Состояние></ЗаписьГрафика>
 </ЗаписиГрафика></ГрафикОтсутствий>
</КоммерческаяИнформация>"""
    return xml.encode("cp1251" if encoding == "windows-1251" else "utf-8")


def _exchange(client, body: bytes, chunks: int = 2) -> list[str]:
    token = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    answers = []
    auth = client.get(URL, {"mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {token}")
    assert auth["Content-Type"] == "text/plain; charset=windows-1251"
    answers.append(auth.content.decode("cp1251"))
    answers.append(client.get(URL, {"mode": "init"}).content.decode("cp1251"))
    size = len(body) // chunks + 1
    for i in range(chunks):
        piece = body[i * size:(i + 1) * size]
        answers.append(client.generic("POST", f"{URL}?mode=file&filename=company.xml", piece,
                                      content_type="application/xml").content.decode("cp1251"))
    answers.append(client.generic("POST", f"{URL}?mode=file&filename=import_files/petrov.jpg", b"\xff\xd8\xffPHOTO",
                                  content_type="application/octet-stream").content.decode("cp1251"))
    answers.append(client.get(URL, {"mode": "import", "filename": "company.xml"}).content.decode("cp1251"))
    return answers


@pytest.mark.parametrize("encoding", ["windows-1251", "UTF-8"])
def test_company_xml_lands_and_a_resend_duplicates_nothing(client, hr_node, encoding, caplog, var_dir):
    answers = _exchange(client, company(encoding=encoding))
    assert [a.split("\n")[0] for a in answers] == ["success", "zip=yes", "success", "success", "success", "success"]
    sales = DepartmentLink.objects.get(unit_id="D2").department
    assert sales.name == "Продажи" and sales.parent.name == "Дирекция"
    petrov = Employee.objects.select_related("user").get(person_id="W1")
    assert (petrov.user.last_name, petrov.user.email, petrov.inner_phone) == ("Петров", "petrov@example.com", "101")
    assert not petrov.user.is_active and petrov.birth_date == dt.date(1975, 3, 2)
    assert (Path(settings.VAR_DIR) / petrov.photo).read_bytes() == b"\xff\xd8\xffPHOTO"
    assert DepartmentLink.objects.get(unit_id="D1").head == petrov.user
    olga = Employee.objects.select_related("user").get(person_id="W2")
    assert olga.gender == "F" and olga.user.department == sales
    kinds = dict(Absence.objects.values_list("external_id", "kind"))
    assert kinds == {"cml:A1": AbsenceKind.VACATION, "cml:A2": AbsenceKind.TRIP}
    assert "Контакт/Тип=Голубь" in caplog.text
    _exchange(client, company(encoding=encoding))
    assert Employee.objects.count() == 2 and Absence.objects.count() == 2 and DepartmentLink.objects.count() == 2
    assert Run.objects.filter(kind="hr-import", node=hr_node).count() == 2
    log = OneCRequest.objects.filter(type="company", node=hr_node)
    assert log.count() == 12 and not log.filter(answer="failure").exists()


def test_dismissal_and_a_deleted_absence_by_company_xml(client, hr_node, var_dir):
    _exchange(client, company())
    petrov = Employee.objects.get(person_id="W1")
    petrov.user.is_active = True
    petrov.user.save()
    _exchange(client, company(dismissed=True, vacation_deleted=True))
    petrov.refresh_from_db()
    petrov.user.refresh_from_db()
    assert not petrov.user.is_active and petrov.dismissed_on is not None
    assert list(Absence.objects.values_list("external_id", flat=True)) == ["cml:A2"]
    _exchange(client, company())   # rehired in 1C: the history's latest state is "Принят" again
    petrov.user.refresh_from_db()
    assert petrov.user.is_active


def test_company_exchange_refuses_a_non_hr_node(client, hr_node):
    hr_node.kind = "onec-http"
    hr_node.save()
    token = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    answer = client.get(URL, {"mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {token}")
    assert answer.content.decode("cp1251").startswith("failure\n")
