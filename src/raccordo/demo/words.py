"""The demo's reference names in the language of whoever installs it (finding: a Russian or Italian UI was half
English because the demo's stages, units, catalog, price types, warehouses and task titles were).

The word lists in `data` are written in English; each name is looked up here when the demo is seeded. They are
demo data, not UI text, so they live here and not in the .po catalogs: a translator of the app never sees them,
and a name missing here stays English (tests/demo check that none is missing).

The language is, first found: the `--language` option of `bootstrap`/`demo`, the RACCORDO_DEMO_LANGUAGE
setting, Django's LANGUAGE_CODE. Anything but "ru" or "it" (after "ru-ru" → "ru") means English.
"""

from __future__ import annotations

import os

from django.conf import settings

LANGUAGES = ("en", "ru", "it")


def demo_language(language: str | None = None) -> str:
    """The demo's language: `language` if given, else RACCORDO_DEMO_LANGUAGE, else LANGUAGE_CODE; en/ru/it."""
    chosen = language or os.environ.get("RACCORDO_DEMO_LANGUAGE") or settings.LANGUAGE_CODE or "en"
    code = chosen.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "en"


class Phrase(str):
    """An English name made from a template (`Phrase("Copper pipe {d} mm", d=15)` is "Copper pipe 15 mm") that
    can be said in another language with the same values; a str, so the word lists use it as any name."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> Phrase:
        obj = super().__new__(cls, template.format(**params))
        obj.template, obj.params = template, params
        return obj


def say(text: str, language: str) -> str:
    """`text` (an English name, or a Phrase) in `language`; unchanged in English or when no translation is known."""
    table = WORDS.get(language)
    if not table:
        return str(text)
    if isinstance(text, Phrase):
        # Only the values that are names themselves are translated (a client's name or a number is not).
        params = {k: say(v, language) if isinstance(v, Phrase) else v for k, v in text.params.items()}
        return table.get(text.template, text.template).format(**params)
    return table.get(text, str(text))


# English -> (Russian, Italian). Names made from a template are translated by their template.
_PAIRS: dict[str, tuple[str, str]] = {
    # Funnels and their stages
    "Sales": ("Продажи", "Vendite"),
    "Projects and tenders": ("Проекты и тендеры", "Progetti e gare"),
    "New": ("Новая", "Nuova"),
    "Qualified": ("Квалифицирована", "Qualificata"),
    "Proposal": ("Коммерческое предложение", "Offerta"),
    "Negotiation": ("Переговоры", "Trattativa"),
    "Won": ("Выиграна", "Vinta"),
    "Lost": ("Проиграна", "Persa"),
    "Tender announced": ("Объявлен тендер", "Gara pubblicata"),
    "Documents submitted": ("Документы поданы", "Documenti presentati"),
    "Shortlisted": ("Прошли отбор", "Ammessi"),
    "Awarded": ("Контракт получен", "Aggiudicata"),
    "Not awarded": ("Контракт не получен", "Non aggiudicata"),
    # Units: short name, full name
    "pcs": ("шт", "pz"),
    "piece": ("штука", "pezzo"),
    "kg": ("кг", "kg"),
    "kilogram": ("килограмм", "chilogrammo"),
    "m": ("м", "m"),
    "metre": ("метр", "metro"),
    "service": ("услуга", "servizio"),
    # Price types and warehouses
    "Wholesale": ("Оптовая", "Ingrosso"),
    "Retail": ("Розничная", "Dettaglio"),
    "Export EUR": ("Экспортная EUR", "Esportazione EUR"),
    "Moscow, main": ("Москва, основной", "Mosca, principale"),
    "Saint Petersburg": ("Санкт-Петербург", "San Pietroburgo"),
    "Milano, Lacchiarella": ("Милан, Лаккьярелла", "Milano, Lacchiarella"),
    # Tags
    "wholesale": ("опт", "ingrosso"),
    "installer": ("монтажник", "installatore"),
    "distributor": ("дистрибьютор", "distributore"),
    "contractor": ("подрядчик", "impresa"),
    "key account": ("ключевой клиент", "cliente chiave"),
    # Task titles, reminders and other texts the demo writes
    "Call about the commercial proposal": ("Позвонить по коммерческому предложению", "Chiamare per l'offerta"),
    "Send the reconciliation statement": ("Отправить акт сверки", "Inviare l'estratto conto"),
    "Agree the delivery schedule": ("Согласовать график поставок", "Concordare il piano di consegne"),
    "Prepare the contract": ("Подготовить договор", "Preparare il contratto"),
    "Call about the payment": ("Позвонить по оплате", "Chiamare per il pagamento"),
    "Send the updated offer": ("Отправить обновлённое предложение", "Inviare offerta aggiornata"),
    "Prepare the tender documents": ("Подготовить тендерную документацию", "Preparare i documenti di gara"),
    "Check stock for the order": ("Проверить остатки под заказ", "Verificare la disponibilità per l'ordine"),
    "Issue the invoice": ("Выставить счёт", "Emettere la fattura"),
    "Arrange a site visit": ("Назначить встречу на объекте", "Fissare un sopralluogo"),
    "Update the monthly sales forecast": ("Обновить прогноз продаж на месяц", "Aggiornare il forecast mensile"),
    "Set by the head of sales": ("Поставлено руководителем отдела продаж", "Assegnato dalla responsabile vendite"),
    "Payment overdue: {number}": ("Просрочена оплата: {number}", "Pagamento scaduto: {number}"),
    "Call back: {name}": ("Перезвонить: {name}", "Richiamare: {name}"),
    "Birthday: {name}": ("День рождения: {name}", "Compleanno: {name}"),
    "Replaced free of charge; credit note issued.": ("Заменили бесплатно, оформили возврат.",
                                                     "Sostituito gratuitamente; emessa nota di credito."),
    # Product groups
    "Pipes": ("Трубы", "Tubi"),
    "Fittings": ("Фитинги", "Raccordi"),
    "Valves": ("Арматура", "Valvole"),
    "Radiators": ("Радиаторы", "Radiatori"),
    "Boilers and water heaters": ("Котлы и водонагреватели", "Caldaie e scaldacqua"),
    "Pumps": ("Насосы", "Pompe"),
    "Consumables": ("Расходные материалы", "Materiali di consumo"),
    "Services": ("Услуги", "Servizi"),
    # Products (templates keep their sizes)
    "PP-R pipe PN20 {d} mm": ("Труба PP-R PN20 {d} мм", "Tubo PP-R PN20 {d} mm"),
    "PEX-AL-PEX multilayer pipe {d}x2 mm": ("Труба металлопластиковая PEX-AL-PEX {d}x2 мм",
                                            "Tubo multistrato PEX-AL-PEX {d}x2 mm"),
    "Copper pipe {d}x1 mm, annealed": ("Труба медная {d}x1 мм, отожжённая", "Tubo di rame {d}x1 mm, ricotto"),
    "Press fitting {kind} {d} mm": ("Пресс-фитинг {kind} {d} мм", "Raccordo a pressare {kind} {d} mm"),
    "elbow 90°": ("угольник 90°", "gomito 90°"),
    "tee": ("тройник", "a T"),
    "coupling": ("муфта", "manicotto"),
    "Compression coupling brass {d} mm": ("Муфта компрессионная латунная {d} мм",
                                          "Raccordo a compressione in ottone {d} mm"),
    "Threaded nipple brass {s}\"": ("Ниппель латунный {s}\"", "Nipplo filettato in ottone {s}\""),
    "Ball valve DN{dn} PN40 full bore, brass": ("Кран шаровой DN{dn} PN40 полнопроходной, латунь",
                                                "Valvola a sfera DN{dn} PN40 a passaggio totale, ottone"),
    "Check valve DN20 spring, brass": ("Клапан обратный пружинный DN20, латунь", "Valvola di ritegno a molla DN20, ottone"),
    "Thermostatic radiator valve DN15, angled": ("Клапан радиаторный термостатический DN15, угловой",
                                                 "Valvola termostatica per radiatore DN15, ad angolo"),
    "Pressure reducing valve DN20 1-6 bar": ("Редуктор давления DN20 1-6 бар", "Riduttore di pressione DN20 1-6 bar"),
    "Safety valve 1/2\" 3 bar for heating": ("Клапан предохранительный 1/2\" 3 бар для отопления",
                                            "Valvola di sicurezza 1/2\" 3 bar per riscaldamento"),
    "Gate valve DN25 PN16, cast iron": ("Задвижка DN25 PN16, чугун", "Saracinesca DN25 PN16, ghisa"),
    "Three-way mixing valve DN25 with actuator": ("Клапан трёхходовой смесительный DN25 с приводом",
                                                  "Valvola miscelatrice a tre vie DN25 con attuatore"),
    "Automatic air vent 1/2\"": ("Воздухоотводчик автоматический 1/2\"", "Valvola di sfogo aria automatica 1/2\""),
    "Aluminium radiator 500/80, {n} sections": ("Радиатор алюминиевый 500/80, {n} секций",
                                                "Radiatore in alluminio 500/80, {n} elementi"),
    "Steel panel radiator type 22, 500x1000": ("Радиатор стальной панельный тип 22, 500x1000",
                                               "Radiatore a pannello in acciaio tipo 22, 500x1000"),
    "Towel rail 500x800, chrome": ("Полотенцесушитель 500x800, хром", "Scaldasalviette 500x800, cromato"),
    "Wall-hung condensing boiler 24 kW": ("Котёл настенный конденсационный 24 кВт", "Caldaia murale a condensazione 24 kW"),
    "Wall-hung condensing boiler 35 kW": ("Котёл настенный конденсационный 35 кВт", "Caldaia murale a condensazione 35 kW"),
    "Floor-standing gas boiler 50 kW": ("Котёл газовый напольный 50 кВт", "Caldaia a gas a basamento 50 kW"),
    "Electric water heater 80 l": ("Водонагреватель электрический 80 л", "Scaldacqua elettrico 80 l"),
    "Indirect hot water cylinder 200 l": ("Бойлер косвенного нагрева 200 л", "Bollitore ad accumulo indiretto 200 l"),
    "Circulation pump 25-60 180 mm, A-class": ("Насос циркуляционный 25-60 180 мм, класс A",
                                               "Circolatore 25-60 180 mm, classe A"),
    "Circulation pump 32-80 180 mm, A-class": ("Насос циркуляционный 32-80 180 мм, класс A",
                                               "Circolatore 32-80 180 mm, classe A"),
    "Drainage pump 400 W with float": ("Насос дренажный 400 Вт с поплавком", "Pompa di drenaggio 400 W con galleggiante"),
    "Pressure booster set 1.1 kW, 24 l tank": ("Станция повышения давления 1,1 кВт, бак 24 л",
                                               "Gruppo di pressurizzazione 1,1 kW, serbatoio 24 l"),
    "Lead-free solder Sn97Cu3": ("Припой бессвинцовый Sn97Cu3", "Lega per saldatura senza piombo Sn97Cu3"),
    "Thread sealing paste for water and gas": ("Паста уплотнительная для воды и газа",
                                               "Pasta sigillante per filettature acqua e gas"),
    "Soldering flux 250 g": ("Флюс для пайки 250 г", "Flussante per saldatura 250 g"),
    "Plumbing flax, 100 g": ("Лён сантехнический, 100 г", "Canapa idraulica, 100 g"),
    "Pipe insulation 22x9 mm": ("Теплоизоляция для труб 22x9 мм", "Isolante per tubi 22x9 mm"),
    "Pipe clamp with rubber 3/4\"": ("Хомут трубный с резиной 3/4\"", "Collare per tubi con gomma 3/4\""),
    "Boiler installation and commissioning": ("Монтаж и пусконаладка котла", "Installazione e messa in servizio caldaia"),
    "Installazione impianto (ristrutturazione, IVA 10%)": ("Монтаж системы (ремонт, IVA 10%, Италия)",
                                                           "Installazione impianto (ristrutturazione, IVA 10%)"),
    "Heating system design, per project": ("Проектирование системы отопления, за проект",
                                           "Progettazione impianto di riscaldamento, a progetto"),
    "Delivery within the city": ("Доставка по городу", "Consegna in città"),
    "Export delivery to the EU (VAT 0%)": ("Экспортная доставка в ЕС (НДС 0%)", "Consegna export UE (IVA 0%)"),
    "Pressure test of a heating system": ("Опрессовка системы отопления", "Prova di tenuta impianto di riscaldamento"),
    "Installer training day": ("Обучение монтажников, день", "Giornata di formazione installatori"),
}

WORDS: dict[str, dict[str, str]] = {
    "ru": {en: pair[0] for en, pair in _PAIRS.items()},
    "it": {en: pair[1] for en, pair in _PAIRS.items()},
}

__all__ = ["LANGUAGES", "WORDS", "Phrase", "demo_language", "say"]
