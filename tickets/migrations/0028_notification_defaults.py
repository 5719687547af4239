"""Install the built-in agent notifications as editable records (spec section 11), in English
and German: the texts, events, filters and recipients the code sent until now, so a site's
mail stays the same. Frozen here on purpose (later code changes must not change history)."""

from django.db import migrations

DEFAULTS = [{'key': 'new_ticket',
  'name': 'A new ticket in one of my queues',
  'events': ['TicketCreate'],
  'ticket_filter': {},
  'recipients': ['my_queues'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'New ticket: <OTRS_TICKET_Title>',
                   'body': 'A new ticket was opened in queue <OTRS_TICKET_Queue>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Neues Ticket: <OTRS_TICKET_Title>',
                   'body': 'In der Queue <OTRS_TICKET_Queue> wurde ein neues Ticket erstellt.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'follow_up_unlocked',
  'name': 'A follow-up on an unlocked ticket (I own or watch it, or it is in my queues)',
  'events': ['FollowUp'],
  'ticket_filter': {'all': [{'attr': 'lock', 'op': 'equals', 'value': 'unlock'}]},
  'recipients': ['owner', 'watchers', 'my_queues'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'Follow-up: <OTRS_TICKET_Title>',
                   'body': 'A follow-up arrived for ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>, which is not '
                           'locked.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Folgenachricht: <OTRS_TICKET_Title>',
                   'body': 'Für Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> '
                           '(nicht gesperrt) ist eine Folgenachricht eingegangen.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'follow_up_locked',
  'name': 'A follow-up on a locked ticket I own, am responsible for or watch',
  'events': ['FollowUp'],
  'ticket_filter': {'all': [{'not': {'attr': 'lock', 'op': 'equals', 'value': 'unlock'}}]},
  'recipients': ['owner', 'responsible', 'watchers'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'Follow-up: <OTRS_TICKET_Title>',
                   'body': 'A follow-up arrived for ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>, locked by '
                           '<OTRS_OWNER_UserFullname>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Folgenachricht: <OTRS_TICKET_Title>',
                   'body': 'Für Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> '
                           '(gesperrt von <OTRS_OWNER_UserFullname>) ist eine Folgenachricht '
                           'eingegangen.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'new_note',
  'name': 'A new note on a ticket I own, am responsible for or watch',
  'events': ['AddNote'],
  'ticket_filter': {},
  'recipients': ['owner', 'responsible', 'watchers'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'New note: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> added a note to ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Neue Notiz: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> hat Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> eine Notiz '
                           'hinzugefügt.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'mention',
  'name': 'I was mentioned in a note (@login)',
  'events': ['TicketMention'],
  'ticket_filter': {},
  'recipients': ['named'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'You were mentioned: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> mentioned you in a note on ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Sie wurden erwähnt: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> hat Sie in einer Notiz zu Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> erwähnt.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '<OTRS_NOTIFICATION_Article>\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'owner_update',
  'name': 'I became the owner of a ticket',
  'events': ['TicketOwnerUpdate'],
  'ticket_filter': {},
  'recipients': ['named'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'You are the owner now: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> made you the owner of ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Sie sind jetzt Besitzer: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> hat Sie zum Besitzer von Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> gemacht.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'responsible_update',
  'name': 'I became responsible for a ticket',
  'events': ['TicketResponsibleUpdate'],
  'ticket_filter': {},
  'recipients': ['named'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'You are responsible now: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> made you responsible for ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Sie sind jetzt verantwortlich: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> hat Sie zum Verantwortlichen für '
                           'Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> '
                           'gemacht.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'queue_update',
  'name': 'A ticket was moved into one of my queues',
  'events': ['TicketQueueUpdate'],
  'ticket_filter': {},
  'recipients': ['my_queues'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'Moved to <OTRS_TICKET_Queue>: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> moved ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> into queue '
                           '<OTRS_TICKET_Queue>.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Verschoben nach <OTRS_TICKET_Queue>: <OTRS_TICKET_Title>',
                   'body': '<OTRS_CURRENT_UserFullname> hat Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> in die Queue '
                           '<OTRS_TICKET_Queue> verschoben.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'lock_timeout',
  'name': 'The lock of a ticket I own timed out',
  'events': ['TicketLockTimeout'],
  'ticket_filter': {},
  'recipients': ['owner'],
  'once_per_day': False,
  'texts': {'en': {'subject': 'Lock timed out: <OTRS_TICKET_Title>',
                   'body': 'The lock of ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> timed out; '
                           'the ticket is unlocked now.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Sperre abgelaufen: <OTRS_TICKET_Title>',
                   'body': 'Die Sperre von Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> ist '
                           'abgelaufen; das Ticket ist jetzt entsperrt.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'escalation',
  'name': 'A ticket in my queues or that I am responsible for escalated',
  'events': ['NotificationEscalation'],
  'ticket_filter': {},
  'recipients': ['my_queues', 'write_permissions', 'responsible'],
  'once_per_day': True,
  'texts': {'en': {'subject': 'Escalated: <OTRS_TICKET_Title>',
                   'body': 'Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> in '
                           'queue <OTRS_TICKET_Queue> is past an SLA target.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Eskaliert: <OTRS_TICKET_Title>',
                   'body': 'Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> in '
                           'Queue <OTRS_TICKET_Queue> hat ein SLA-Ziel überschritten.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'escalation_warning',
  'name': 'A ticket in my queues or that I am responsible for is about to escalate',
  'events': ['NotificationEscalationNotifyBefore'],
  'ticket_filter': {},
  'recipients': ['my_queues', 'write_permissions', 'responsible'],
  'once_per_day': True,
  'texts': {'en': {'subject': 'About to escalate: <OTRS_TICKET_Title>',
                   'body': 'Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> in '
                           'queue <OTRS_TICKET_Queue> will soon be past an SLA target.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Eskaliert bald: <OTRS_TICKET_Title>',
                   'body': 'Ticket <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> in '
                           'Queue <OTRS_TICKET_Queue> wird bald ein SLA-Ziel überschreiten.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'pending_reminder_locked',
  'name': 'The reminder time of a locked ticket I own or am responsible for passed',
  'events': ['NotificationPendingReminder'],
  'ticket_filter': {'all': [{'not': {'attr': 'lock', 'op': 'equals', 'value': 'unlock'}}]},
  'recipients': ['owner', 'responsible'],
  'once_per_day': True,
  'texts': {'en': {'subject': 'Reminder reached: <OTRS_TICKET_Title>',
                   'body': 'The pending reminder time of ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> has passed.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Erinnerung erreicht: <OTRS_TICKET_Title>',
                   'body': 'Die Erinnerungszeit von Ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> ist '
                           'erreicht.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}},
 {'key': 'pending_reminder_unlocked',
  'name': 'The reminder time of an unlocked ticket in my queues passed',
  'events': ['NotificationPendingReminder'],
  'ticket_filter': {'all': [{'attr': 'lock', 'op': 'equals', 'value': 'unlock'}]},
  'recipients': ['owner', 'responsible', 'my_queues'],
  'once_per_day': True,
  'texts': {'en': {'subject': 'Reminder reached: <OTRS_TICKET_Title>',
                   'body': 'The pending reminder time of ticket '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>, which is not '
                           'locked, has passed.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Title: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'State: <OTRS_TICKET_State>\n'
                           'Priority: <OTRS_TICKET_Priority>\n'
                           'Owner: <OTRS_OWNER_UserFullname>\n'
                           'Customer: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Open the ticket: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'You get this mail because of your notification preferences:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'},
            'de': {'subject': 'Erinnerung erreicht: <OTRS_TICKET_Title>',
                   'body': 'Die Erinnerungszeit des nicht gesperrten Tickets '
                           '<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber> ist '
                           'erreicht.\n'
                           '\n'
                           'Ticket: <OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>\n'
                           'Titel: <OTRS_TICKET_Title>\n'
                           'Queue: <OTRS_TICKET_Queue>\n'
                           'Status: <OTRS_TICKET_State>\n'
                           'Priorität: <OTRS_TICKET_Priority>\n'
                           'Besitzer: <OTRS_OWNER_UserFullname>\n'
                           'Kunde: <OTRS_TICKET_CustomerUserID>\n'
                           '\n'
                           'Ticket öffnen: <OTRS_TICKET_Link>\n'
                           '\n'
                           '-- \n'
                           'Sie erhalten diese E-Mail aufgrund Ihrer '
                           'Benachrichtigungseinstellungen:\n'
                           '<OTRS_NOTIFICATION_PreferencesLink>\n'}}}]


def install(apps, schema_editor):
    notification = apps.get_model("tickets", "TicketNotification")
    text = apps.get_model("tickets", "TicketNotificationText")
    for entry in DEFAULTS:
        if notification.objects.filter(key=entry["key"]).exists():
            continue
        record = notification.objects.create(
            key=entry["key"],
            name=entry["name"],
            events=entry["events"],
            ticket_filter=entry["ticket_filter"],
            recipients=entry["recipients"],
            once_per_day=entry["once_per_day"],
        )
        for language, words in entry["texts"].items():
            text.objects.create(notification=record, language=language, **words)


def remove(apps, schema_editor):
    keys = [entry["key"] for entry in DEFAULTS]
    apps.get_model("tickets", "TicketNotification").objects.filter(key__in=keys).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0027_notification_records")]

    operations = [migrations.RunPython(install, remove)]
