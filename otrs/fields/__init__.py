"""Custom fields (OTRS's dynamic fields): one typed field engine for every kind of object.

Admins define fields (:class:`~otrs.fields.models.FieldDefinition`) on an object type that an
app registered (:func:`otrs.fields.registry.register_object_type`: tickets and articles,
customer users and companies; FAQ and CMDB later). Each definition has a field type from
:mod:`otrs.fields.types` (text, textarea, checkbox, dropdown, multiselect, integer, decimal,
date, date-time, reference), which validates, parses text (mail headers, YAML, search),
builds the form field and renders. Values live in one typed table
(:class:`~otrs.fields.models.FieldValue`) with one indexed column per kind of value, so a
search by a field is an index lookup; a multiselect value is several rows.

Reads go through :mod:`otrs.fields.selectors` (``values_for(objects)`` reads the fields of a
page of objects in one query); writes through :mod:`otrs.fields.actions`
(``set_field_values(obj, {name: value}, actor=...)``), which hands a registered object type's
changes to its app (tickets write history and events).

This package imports no domain app.
"""
