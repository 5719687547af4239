"""Forms of the agent portal's ticket screens, one module per area (``changes``, ``links``,
``merge``, ``customer``, ``compose``, ``create``, ``bulk``, ``search``).

Forms parse: each ``clean_<field>`` returns a domain object (a State, a Queue, a User) chosen
from what the agent may choose, and the views read ``cleaned_data`` only.
"""
