"""Formatting of report cells (tickets.reports.cell)."""

from django import template

from ..reports import cell

register = template.Library()


@register.simple_tag
def report_cell(row, column):
    return cell(row, column)
