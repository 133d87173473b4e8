"""The templates Raccordo's own rules and reminders use, in Russian, Italian and English (editable, not deletable)."""

from django.db import migrations

from raccordo.core.ids import new_id

SHIPPED = [
    # key, channel, language, name, subject, body
    ("order_shipped", "email", "ru", "Заказ отгружен", "Ваш заказ по счёту {{ invoice.number }} отгружен",
     "Здравствуйте{% if contact.first_name %}, {{ contact.first_name }}{% endif %}!\n\n"
     "Сообщаем, что заказ по счёту № {{ invoice.number }} от {{ invoice.date }} отгружен {{ invoice.shipped_on }}"
     "{% if invoice.shipment_number %} (документ {{ invoice.shipment_number }}){% endif %}.\n\n"
     "С уважением,\n{{ manager.name }}\n{{ company.name }}"),
    ("order_shipped", "email", "it", "Ordine spedito", "Il vostro ordine della fattura {{ invoice.number }} è stato spedito",
     "Gentile {% if contact.name %}{{ contact.name }}{% else %}{{ client.name }}{% endif %},\n\n"
     "l'ordine della fattura n. {{ invoice.number }} del {{ invoice.date }} è stato spedito il {{ invoice.shipped_on }}"
     "{% if invoice.shipment_number %} (documento {{ invoice.shipment_number }}){% endif %}.\n\n"
     "Cordiali saluti,\n{{ manager.name }}\n{{ company.name }}"),
    ("order_shipped", "email", "", "Order shipped", "Your order of invoice {{ invoice.number }} has shipped",
     "Hello{% if contact.first_name %} {{ contact.first_name }}{% endif %},\n\n"
     "the order of invoice {{ invoice.number }} of {{ invoice.date }} shipped on {{ invoice.shipped_on }}"
     "{% if invoice.shipment_number %} (document {{ invoice.shipment_number }}){% endif %}.\n\n"
     "Kind regards,\n{{ manager.name }}\n{{ company.name }}"),
    ("order_shipped", "sms", "ru", "Заказ отгружен (SMS)", "",
     "Заказ по счёту {{ invoice.number }} отгружен {{ invoice.shipped_on }}. {{ company.name }}"),
    ("order_shipped", "sms", "it", "Ordine spedito (SMS)", "",
     "L'ordine della fattura {{ invoice.number }} è stato spedito il {{ invoice.shipped_on }}. {{ company.name }}"),
    ("order_shipped", "sms", "", "Order shipped (SMS)", "",
     "Your order of invoice {{ invoice.number }} shipped on {{ invoice.shipped_on }}. {{ company.name }}"),
    ("invoice_reminder", "email", "ru", "Напоминание об оплате", "Напоминание об оплате счёта {{ invoice.number }}",
     "Здравствуйте{% if contact.first_name %}, {{ contact.first_name }}{% endif %}!\n\n"
     "Напоминаем, что по счёту № {{ invoice.number }} от {{ invoice.date }} осталось оплатить {{ invoice.outstanding }}"
     "{% if invoice.due_date %}, срок оплаты — {{ invoice.due_date }}{% endif %}.\n\n"
     "С уважением,\n{{ manager.name }}\n{{ company.name }}"),
    ("invoice_reminder", "email", "it", "Promemoria di pagamento", "Promemoria: fattura {{ invoice.number }}",
     "Gentile {% if contact.name %}{{ contact.name }}{% else %}{{ client.name }}{% endif %},\n\n"
     "vi ricordiamo che della fattura n. {{ invoice.number }} del {{ invoice.date }} restano da pagare "
     "{{ invoice.outstanding }}{% if invoice.due_date %}, con scadenza il {{ invoice.due_date }}{% endif %}.\n\n"
     "Cordiali saluti,\n{{ manager.name }}\n{{ company.name }}"),
    ("invoice_reminder", "email", "", "Payment reminder", "Reminder: invoice {{ invoice.number }}",
     "Hello{% if contact.first_name %} {{ contact.first_name }}{% endif %},\n\n"
     "this is a reminder that {{ invoice.outstanding }} of invoice {{ invoice.number }} of {{ invoice.date }} "
     "is still to be paid{% if invoice.due_date %}, due on {{ invoice.due_date }}{% endif %}.\n\n"
     "Kind regards,\n{{ manager.name }}\n{{ company.name }}"),
    ("invoice_reminder", "sms", "ru", "Напоминание об оплате (SMS)", "",
     "Напоминаем: по счёту {{ invoice.number }} к оплате {{ invoice.outstanding }}"
     "{% if invoice.due_date %} до {{ invoice.due_date }}{% endif %}. {{ company.name }}"),
    ("invoice_reminder", "sms", "it", "Promemoria di pagamento (SMS)", "",
     "Promemoria: fattura {{ invoice.number }}, da pagare {{ invoice.outstanding }}"
     "{% if invoice.due_date %} entro il {{ invoice.due_date }}{% endif %}. {{ company.name }}"),
    ("invoice_reminder", "sms", "", "Payment reminder (SMS)", "",
     "Reminder: invoice {{ invoice.number }}, {{ invoice.outstanding }} to pay"
     "{% if invoice.due_date %} by {{ invoice.due_date }}{% endif %}. {{ company.name }}"),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("comms", "MessageTemplate")
    for key, channel, language, name, subject, body in SHIPPED:
        if not MessageTemplate.objects.filter(key=key, channel=channel, language=language).exists():
            MessageTemplate.objects.create(id=new_id(), key=key, channel=channel, language=language, name=name,
                                           subject=subject, body=body)


class Migration(migrations.Migration):
    dependencies = [("comms", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
