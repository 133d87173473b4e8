"""The words of the shipped templates, per language. Tags ({{ … }}) are docxtpl's (documents/context.py)."""

from __future__ import annotations

LABELS = {
    "ru": {
        "supplier": "Поставщик", "buyer": "Покупатель", "inn": "ИНН", "kpp": "КПП", "ogrn": "ОГРН",
        "address": "Адрес", "bank": "Банк", "bic": "БИК", "account": "Р/с", "corr": "К/с",
        "n": "№", "item": "Товары (работы, услуги)", "qty": "Кол-во", "unit": "Ед.", "price": "Цена",
        "vat_rate": "НДС, %", "amount": "Сумма", "net": "Итого без НДС:", "vat": "В том числе НДС:",
        "vat_on_top": "НДС:", "total": "Всего к оплате:", "in_words": "Всего наименований {{ totals.quantity }}, на сумму "
        "{{ totals.total }}", "director": "Руководитель", "accountant": "Главный бухгалтер", "stamp": "М.П.",
        "ids": "ИНН {{ X.inn }}, КПП {{ X.kpp }}, ОГРН {{ X.ogrn }}",
        "bank_line": "Банк: {{ B.name }}, БИК {{ B.bic }}, р/с {{ B.account }}, к/с {{ B.correspondent_account }}",
    },
    "it": {
        "supplier": "Fornitore", "buyer": "Cliente", "inn": "INN", "kpp": "KPP", "ogrn": "OGRN",
        "address": "Indirizzo", "bank": "Banca", "bic": "BIC", "account": "Conto", "corr": "IBAN",
        "n": "N.", "item": "Descrizione", "qty": "Q.tà", "unit": "U.M.", "price": "Prezzo",
        "vat_rate": "IVA, %", "amount": "Importo", "net": "Imponibile:", "vat": "di cui IVA:",
        "vat_on_top": "IVA:", "total": "Totale:", "in_words": "Numero di righe {{ totals.quantity }}, per un totale di "
        "{{ totals.total }}", "director": "Il legale rappresentante", "accountant": "L'amministrazione",
        "stamp": "Timbro",
        "ids": "P.IVA {{ X.vat_number }}, C.F. {{ X.tax_code }}",
        "bank_line": "Banca: {{ B.name }}, IBAN {{ B.iban }}, BIC {{ B.bic }}",
    },
}

# Per kind and language: the title, the paragraphs before the lines, whether the lines are shown, and after.
KINDS = {
    "offer": {
        "ru": ("Коммерческое предложение № {{ document.number }}",
               ["Уважаемые господа! {{ company.full_name }} предлагает {{ client.full_name }} следующие товары "
                "и услуги по сделке «{{ deal.title }}»."],
               ["Срок действия предложения: {{ deal.expected_close }}; валюта цен: {{ totals.currency }}",
                "Менеджер: {{ manager.name }} {{ manager.email }}"]),
        "it": ("Offerta commerciale n. {{ document.number }}",
               ["Spettabile {{ client.full_name }}, {{ company.full_name }} è lieta di proporVi quanto segue "
                "per «{{ deal.title }}»."],
               ["Validità dell'offerta: {{ deal.expected_close }}; valuta: {{ totals.currency }}",
                "Referente: {{ manager.name }} {{ manager.email }}"]),
    },
    "contract": {
        "ru": ("Договор поставки № {{ document.number }}",
               ["{{ company.full_name }}, именуемое в дальнейшем «Поставщик», в лице руководителя "
                "{{ company.director }}, с одной стороны, и {{ client.full_name }}, именуемое в дальнейшем "
                "«Покупатель», с другой стороны, заключили настоящий договор о нижеследующем.",
                "1. Предмет договора. Поставщик обязуется передать, а Покупатель принять и оплатить товары "
                "согласно спецификации:"],
               ["2. Цена договора составляет {{ totals.total }} ({{ amount_in_words }}).",
                "3. Оплата производится в течение 5 банковских дней с даты выставления счёта.",
                "4. Договор вступает в силу с момента подписания и действует до полного исполнения "
                "обязательств сторонами."]),
        "it": ("Contratto di fornitura n. {{ document.number }}",
               ["Tra {{ company.full_name }} (il «Fornitore»), rappresentata da {{ company.director }}, e "
                "{{ client.full_name }} (il «Cliente») si conviene quanto segue.",
                "1. Oggetto. Il Fornitore si impegna a consegnare e il Cliente ad acquistare e pagare i beni "
                "elencati:"],
               ["2. Il prezzo complessivo è di {{ totals.total }} ({{ amount_in_words }}).",
                "3. Il pagamento avviene entro 30 giorni dalla data della fattura, con bonifico bancario.",
                "4. Il contratto entra in vigore alla firma e resta valido fino all'adempimento delle "
                "obbligazioni."]),
    },
    "act": {
        "ru": ("Акт № {{ document.number }} от {{ document.date }}",
               ["Исполнитель {{ company.full_name }} выполнил, а Заказчик {{ client.full_name }} принял "
                "следующие работы (услуги) по счёту № {{ invoice.number }} от {{ invoice.date }}:"],
               ["Вышеперечисленные работы (услуги) выполнены полностью и в срок. Заказчик претензий по объёму, "
                "качеству и срокам оказания услуг не имеет."]),
        "it": ("Verbale di lavori eseguiti n. {{ document.number }} del {{ document.date }}",
               ["{{ company.full_name }} ha eseguito e {{ client.full_name }} ha accettato i seguenti lavori "
                "(servizi) della fattura n. {{ invoice.number }} del {{ invoice.date }}:"],
               ["I lavori (servizi) sono stati eseguiti completamente e nei tempi. Il Cliente non ha "
                "contestazioni su quantità, qualità e tempi."]),
    },
    "shipping_note": {
        "ru": ("Товарная накладная № {{ document.number }} от {{ document.date }}",
               ["Грузоотправитель: {{ company.full_name }}, {{ company.address }}",
                "Грузополучатель: {{ client.full_name }}, {{ client.address }}",
                "Основание: счёт № {{ invoice.number }} от {{ invoice.date }}"],
               ["Отпуск груза разрешил ______________ {{ company.director }}",
                "Груз получил ______________"]),
        "it": ("Documento di trasporto n. {{ document.number }} del {{ document.date }}",
               ["Mittente: {{ company.full_name }}, {{ company.address }}",
                "Destinatario: {{ client.full_name }}, {{ client.address }}",
                "Riferimento: fattura n. {{ invoice.number }} del {{ invoice.date }}"],
               ["Firma del vettore ______________", "Firma del destinatario ______________"]),
    },
    "invoice": {
        "ru": ("Счёт на оплату № {{ invoice.number }} от {{ invoice.date }}",
               ["Документ № {{ document.number }}. Оплатить до {{ invoice.due_date }}."],
               ["Оплата данного счёта означает согласие с условиями поставки товара."]),
        "it": ("Fattura n. {{ invoice.number }} del {{ invoice.date }}",
               ["Documento n. {{ document.number }}. Scadenza del pagamento: {{ invoice.due_date }}."],
               ["Copia di cortesia: la fattura elettronica è trasmessa tramite SdI."]),
    },
}
