"""Signals of the bulk write paths, which send none of Django's own (bulk_create, executemany, bulk_update).

`records_written` is sent once per written batch with the model as sender and `pks`, the ids of the
records created or changed. Whoever keeps something in step with those records (the counterparty
search index) connects to it in its AppConfig.ready, so that the writers need not know who listens.
"""

from django.dispatch import Signal

records_written = Signal()   # sender: the model; pks: list of the ids written in the batch
