"""Analytics pages on money actually paid (issue #21): ABC/XYZ of clients and products.

Every figure starts from payments recorded from accounting (sales.Payment, and for products their allocations to
invoices and the invoices' lines), narrowed by `access.policy.visible`, and is computed in the database.
"""
