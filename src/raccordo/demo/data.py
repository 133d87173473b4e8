"""Word lists the demo company is made of: people, companies, addresses, the catalog, what people talk about."""

from __future__ import annotations

from decimal import Decimal as D

from .words import Phrase as P

# username, first name, last name, role, language, phone
STAFF = [
    ("elena", "Елена", "Морозова", "head", "ru", "+79161002030"),
    ("anna", "Анна", "Иванова", "manager", "ru", "+79261112233"),
    ("dmitry", "Дмитрий", "Соколов", "manager", "ru", "+79057778899"),
    ("giulia", "Giulia", "Bianchi", "manager", "it", "+393331234567"),
    ("marco", "Marco", "Rossi", "manager", "it", "+393471112233"),
]

RU_MALE = [("Александр", "Сергеевич"), ("Дмитрий", "Андреевич"), ("Сергей", "Викторович"), ("Андрей", "Петрович"),
           ("Михаил", "Олегович"), ("Игорь", "Николаевич"), ("Павел", "Юрьевич"), ("Алексей", "Иванович"),
           ("Николай", "Владимирович"), ("Владимир", "Геннадьевич"), ("Максим", "Александрович"),
           ("Артём", "Денисович")]
RU_FEMALE = [("Ольга", "Викторовна"), ("Татьяна", "Сергеевна"), ("Наталья", "Ивановна"), ("Ирина", "Олеговна"),
             ("Екатерина", "Андреевна"), ("Мария", "Павловна"), ("Светлана", "Юрьевна"), ("Юлия", "Николаевна"),
             ("Анастасия", "Дмитриевна"), ("Людмила", "Петровна")]
RU_SURNAMES = ["Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Новиков", "Фёдоров", "Волков", "Алексеев",
               "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев",
               "Макаров", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов"]
IT_MALE = ["Luca", "Marco", "Giuseppe", "Alessandro", "Andrea", "Matteo", "Francesco", "Lorenzo", "Davide",
           "Stefano", "Paolo", "Roberto"]
IT_FEMALE = ["Giulia", "Francesca", "Chiara", "Sara", "Valentina", "Elena", "Martina", "Federica", "Silvia",
             "Laura", "Alessia", "Paola"]
IT_SURNAMES = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
               "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
               "Barbieri", "Fontana", "Santoro", "Mariani"]

RU_POSITIONS = ["Генеральный директор", "Главный инженер", "Менеджер по закупкам", "Главный бухгалтер",
                "Руководитель отдела снабжения", "Прораб", "Коммерческий директор"]
IT_POSITIONS = ["Amministratore unico", "Responsabile acquisti", "Direttore tecnico", "Ufficio amministrazione",
                "Titolare", "Capo cantiere"]
CONTACT_ROLES = ["decision maker", "buyer", "accountant", "technical", ""]

# short name, kind ("legal"/"sole_trader"/"individual"), legal form, city index
RU_COMPANIES = [
    ("Северный Поток", "legal"), ("ТеплоМонтаж", "legal"), ("Аквасервис", "legal"), ("ГидроТехСтрой", "legal"),
    ("Волга-Терм", "legal"), ("УралСантехКомплект", "legal"), ("Невская Инженерия", "legal"),
    ("СибТеплоСнаб", "legal"), ("Термоклимат", "legal"), ("ЭнергоРесурс", "legal"), ("Акваторг", "legal"),
    ("СтройДом-Казань", "legal"), ("Магистраль", "legal"), ("Термо-Юг", "legal"), ("ИнжКомСервис", "legal"),
    ("Водоканал-Проект", "legal"), ("Теплый Дом", "legal"), ("ПромАрматура", "legal"), ("Столица-Инжиниринг", "legal"),
    ("Альфа-Климат", "legal"), ("ИП Кравцов Олег Викторович", "sole_trader"),
    ("ИП Белова Марина Андреевна", "sole_trader"), ("ИП Гусев Роман Игоревич", "sole_trader"),
    ("Шилов Константин Петрович", "individual"),
]
IT_COMPANIES = [
    ("Idrotermica Lombarda", "S.r.l."), ("Termoidraulica Rossi", "S.n.c."), ("Clima Service Veneto", "S.r.l."),
    ("Impianti Brambilla", "S.r.l."), ("Acquaterm Italia", "S.p.A."), ("Edilnord Costruzioni", "S.r.l."),
    ("Idraulica Toscana", "S.r.l."), ("Termotecnica Adriatica", "S.r.l."), ("Sanitari Emilia", "S.r.l."),
    ("Tecnoimpianti Piemonte", "S.r.l."), ("Caldaie & Servizi", "S.a.s."), ("Riscaldamento Ligure", "S.r.l."),
    ("Fratelli Conti Impianti", "S.n.c."), ("Edil Sud Forniture", "S.r.l."), ("Aquaflex Distribuzione", "S.p.A."),
]
IT_SOLE_TRADER = ("Giordano Paolo — Idraulico", "GRDPLA75M12F205")  # codice fiscale without its check letter

RU_CITIES = [
    ("Москва", "77", "г. Москва, ул. Большая Ордынка, д. {n}, стр. 2", "115035"),
    ("Санкт-Петербург", "78", "г. Санкт-Петербург, Лиговский пр-т, д. {n}", "191040"),
    ("Казань", "16", "г. Казань, ул. Баумана, д. {n}", "420111"),
    ("Екатеринбург", "66", "г. Екатеринбург, ул. Малышева, д. {n}", "620014"),
    ("Новосибирск", "54", "г. Новосибирск, Красный пр-т, д. {n}", "630099"),
    ("Нижний Новгород", "52", "г. Нижний Новгород, ул. Рождественская, д. {n}", "603001"),
    ("Краснодар", "23", "г. Краснодар, ул. Красная, д. {n}", "350000"),
    ("Самара", "63", "г. Самара, ул. Молодогвардейская, д. {n}", "443099"),
]
IT_CITIES = [
    ("Milano", "Via Giuseppe Verdi {n}, 20121 Milano MI", "20121", 1),
    ("Torino", "Corso Vittorio Emanuele II {n}, 10123 Torino TO", "10123", 2),
    ("Bologna", "Via dell'Indipendenza {n}, 40121 Bologna BO", "40121", 3),
    ("Verona", "Corso Porta Nuova {n}, 37122 Verona VR", "37122", 4),
    ("Firenze", "Via dei Servi {n}, 50122 Firenze FI", "50122", 5),
    ("Genova", "Via XX Settembre {n}, 16121 Genova GE", "16121", 6),
    ("Bari", "Via Sparano da Bari {n}, 70121 Bari BA", "70121", 7),
    ("Padova", "Via Roma {n}, 35122 Padova PD", "35122", 8),
]

TAGS = ["wholesale", "installer", "distributor", "contractor", "MCE 2026", "Aquatherm 2026", "key account"]

# --- Catalog: group -> [(article, name, unit, VAT %, wholesale price in RUB)] ---------------------------------------
UNITS = [("pcs", "796", "piece"), ("kg", "166", "kilogram"), ("m", "006", "metre"), ("service", "", "service")]

CATALOG: dict[str, list[tuple[str, str, str, D | None, D]]] = {}


def _add(group: str, rows: list[tuple[str, str, str, D | None, D]]) -> None:
    CATALOG.setdefault(group, []).extend(rows)


V20, V22, V10, V0 = D("20"), D("22"), D("10"), D("0")
_add("Pipes", [
    (f"PPR-{d}", P("PP-R pipe PN20 {d} mm", d=d), "m", V20, p) for d, p in [(20, D("62")), (25, D("96")), (32, D("154"))]
] + [
    (f"PEX-{d}", P("PEX-AL-PEX multilayer pipe {d}x2 mm", d=d), "m", V20, p) for d, p in [(16, D("118")), (20, D("176"))]
] + [
    (f"CU-{d}", P("Copper pipe {d}x1 mm, annealed", d=d), "m", V22, p) for d, p in [(15, D("690")), (22, D("1040"))]
])
_add("Fittings", [
    (f"PF-{kind[:2].upper()}-{d}", P("Press fitting {kind} {d} mm", kind=P(kind), d=d), "pcs", V20, p)
    for kind, base in [("elbow 90°", 140), ("tee", 190), ("coupling", 110)]
    for d, p in [(16, D(base)), (20, D(base + 45)), (26, D(base + 110))]
] + [
    (f"CF-{d}", P("Compression coupling brass {d} mm", d=d), "pcs", V22, D(p)) for d, p in [(15, 260), (22, 390)]
] + [
    (f"NP-{s}", P("Threaded nipple brass {s}\"", s=s), "pcs", V20, D(p)) for s, p in [("1/2", 95), ("3/4", 135), ("1", 210)]
])
_add("Valves", [
    (f"BV-{dn}", P("Ball valve DN{dn} PN40 full bore, brass", dn=dn), "pcs", V22, D(p))
    for dn, p in [(15, 640), (20, 890), (25, 1320), (32, 2150)]
] + [
    ("CV-20", "Check valve DN20 spring, brass", "pcs", V22, D("720")),
    ("TV-15", "Thermostatic radiator valve DN15, angled", "pcs", V22, D("1450")),
    ("PRV-20", "Pressure reducing valve DN20 1-6 bar", "pcs", V22, D("4900")),
    ("SV-15", "Safety valve 1/2\" 3 bar for heating", "pcs", V20, D("860")),
    ("GV-25", "Gate valve DN25 PN16, cast iron", "pcs", V20, D("3100")),
    ("MV-3W-25", "Three-way mixing valve DN25 with actuator", "pcs", V22, D("16700")),
    ("AV-12", "Automatic air vent 1/2\"", "pcs", V22, D("540")),
])
_add("Radiators", [
    (f"RAD-AL-{n}", P("Aluminium radiator 500/80, {n} sections", n=n), "pcs", V20, D(p))
    for n, p in [(6, 5400), (8, 7200), (10, 8900), (12, 10600)]
] + [
    ("RAD-ST-22-1000", "Steel panel radiator type 22, 500x1000", "pcs", V20, D("9800")),
    ("RAD-TB-500", "Towel rail 500x800, chrome", "pcs", V22, D("12400")),
])
_add("Boilers and water heaters", [
    ("BLR-24C", "Wall-hung condensing boiler 24 kW", "pcs", V22, D("118000")),
    ("BLR-35C", "Wall-hung condensing boiler 35 kW", "pcs", V22, D("146000")),
    ("BLR-FL-50", "Floor-standing gas boiler 50 kW", "pcs", V20, D("265000")),
    ("WH-80", "Electric water heater 80 l", "pcs", V20, D("21500")),
    ("WH-IND-200", "Indirect hot water cylinder 200 l", "pcs", V22, D("84000")),
])
_add("Pumps", [
    ("PMP-25-60", "Circulation pump 25-60 180 mm, A-class", "pcs", V22, D("14800")),
    ("PMP-32-80", "Circulation pump 32-80 180 mm, A-class", "pcs", V22, D("23600")),
    ("PMP-DRN-400", "Drainage pump 400 W with float", "pcs", V20, D("8900")),
    ("PMP-BST-1100", "Pressure booster set 1.1 kW, 24 l tank", "pcs", V20, D("38500")),
])
_add("Consumables", [
    ("SOL-SN97", "Lead-free solder Sn97Cu3", "kg", V20, D("3900")),
    ("SEAL-PASTE", "Thread sealing paste for water and gas", "kg", V20, D("2600")),
    ("FLUX-250", "Soldering flux 250 g", "pcs", V20, D("540")),
    ("FLAX-100", "Plumbing flax, 100 g", "pcs", V0, D("180")),
    ("INS-22", "Pipe insulation 22x9 mm", "m", V20, D("58")),
    ("CLAMP-20", "Pipe clamp with rubber 3/4\"", "pcs", V20, D("74")),
])
_add("Services", [
    ("SRV-INSTALL-BLR", "Boiler installation and commissioning", "service", V20, D("18000")),
    ("SRV-INSTALL-IT", "Installazione impianto (ristrutturazione, IVA 10%)", "service", V10, D("42000")),
    ("SRV-DESIGN", "Heating system design, per project", "service", V20, D("35000")),
    ("SRV-DELIVERY", "Delivery within the city", "service", V20, D("2500")),
    ("SRV-EXPORT", "Export delivery to the EU (VAT 0%)", "service", V0, D("28000")),
    ("SRV-PRESSURE", "Pressure test of a heating system", "service", V20, D("6500")),
    ("SRV-TRAINING", "Installer training day", "service", None, D("12000")),
])

WAREHOUSES = [
    ("Moscow, main", "Московская обл., г. Подольск, ул. Промышленная, д. 7"),
    ("Saint Petersburg", "г. Санкт-Петербург, Выборгское ш., д. 212"),
    ("Milano, Lacchiarella", "Via Galileo Galilei 5, 20084 Lacchiarella MI"),
]

SALES_STAGES = [("New", "open", 10), ("Qualified", "open", 25), ("Proposal", "open", 50),
                ("Negotiation", "open", 75), ("Won", "won", 100), ("Lost", "lost", 0)]
PROJECT_STAGES = [("Tender announced", "open", 10), ("Documents submitted", "open", 40),
                  ("Shortlisted", "open", 60), ("Awarded", "won", 100), ("Not awarded", "lost", 0)]

DEAL_TITLES_RU = ["Отопление склада", "Котельная под ключ", "Поставка фитингов на квартал",
                  "Замена стояков в жилом доме", "Водоснабжение коттеджного посёлка", "Насосная станция",
                  "Радиаторы для бизнес-центра", "Арматура для ИТП", "Тёплый пол в шоуруме"]
DEAL_TITLES_IT = ["Fornitura raccordi trimestrale", "Centrale termica condominio", "Ristrutturazione bagni hotel",
                  "Impianto di riscaldamento capannone", "Caldaie per cantiere residenziale",
                  "Sostituzione valvole centrale"]
LOST_REASONS = ["Цена выше, чем у конкурента", "Проект отложен заказчиком", "Prezzo non competitivo",
                "Chose another supplier", "No budget this year"]

CALL_SUBJECTS = ["Уточнили объёмы поставки", "Обсудили сроки отгрузки", "Напомнили об оплате счёта",
                 "Согласовали скидку", "Chiarimenti sull'offerta", "Conferma ordine", "Follow-up on the proposal",
                 "Call about delivery dates", "Вопрос по монтажу котла"]
EMAIL_SUBJECTS = ["Коммерческое предложение", "Счёт на оплату", "Сертификаты на продукцию", "Offerta aggiornata",
                  "Listino prezzi 2026", "Price list and stock", "Акт сверки"]
MEETING_SUBJECTS = ["Встреча на объекте", "Презентация новой линейки насосов", "Visita in cantiere",
                    "Meeting at the client's office", "Переговоры по годовому контракту"]
NOTE_SUBJECTS = ["Клиент переезжает в новый офис", "Cliente interessato alle caldaie a condensazione",
                 "Prefers e-mail to calls", "Бухгалтерия работает до 16:00"]
OUTCOMES = ["interested", "call back next week", "waiting for approval", "ordered", "asked for a discount",
            "no answer", ""]

# In English; seeded in the demo's language (words.py), as the reference names are.
TASK_TITLES = ["Call about the commercial proposal", "Send the reconciliation statement", "Agree the delivery schedule",
               "Prepare the contract", "Call about the payment", "Send the updated offer",
               "Prepare the tender documents", "Check stock for the order", "Issue the invoice",
               "Arrange a site visit"]
COMPLAINTS = [
    ("Протечка пресс-фитингов из партии", "Три фитинга 20 мм дали течь при опрессовке на объекте."),
    ("Ritardo nella consegna", "La merce è arrivata con 6 giorni di ritardo rispetto alla conferma d'ordine."),
    ("Damaged radiator on delivery", "One aluminium radiator arrived with a bent section."),
]

# Word roots for bulk-generated counterparties (`demo --scale`).
RU_ROOTS = ["Север", "Юг", "Волга", "Урал", "Сибирь", "Нева", "Тепло", "Аква", "Гидро", "Термо", "Техно", "Энерго",
            "Пром", "Строй", "Инж", "Союз", "Альфа", "Вектор", "Меридиан", "Гранит", "Кедр", "Балтика", "Дон",
            "Ока", "Кама", "Ангара", "Байкал", "Алтай", "Визит", "Старт"]
RU_SUFFIXES = ["Монтаж", "Снаб", "Строй", "Сервис", "Трейд", "Комплект", "Пром", "Инжиниринг", "Систем", "Групп"]
IT_ROOTS = ["Idro", "Termo", "Acqua", "Clima", "Tecno", "Edil", "Impianti", "Sanitari", "Caldo", "Fluid", "Geo",
            "Eco", "Energia", "Aria", "Sole"]
IT_SUFFIXES = ["Nord", "Sud", "Lombarda", "Veneta", "Toscana", "Service", "Italia", "Group", "Sistemi", "Forniture"]
IT_FORMS = ["S.r.l.", "S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."]
