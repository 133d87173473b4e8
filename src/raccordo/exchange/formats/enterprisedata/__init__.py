"""EnterpriseData, 1C's universal exchange format: XDTO packages as XSD, the message envelope, objects.

Pure readers and writers (no Django), like the CommerceML format beside it.
"""
