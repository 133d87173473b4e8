"""SMS to clients: one provider interface, an SMS.ru adapter, messages from the card, mass sends, delivery reports."""
