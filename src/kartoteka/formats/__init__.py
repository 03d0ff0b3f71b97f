"""How dates and times are shown, one format per language (settings.FORMAT_MODULE_PATH).

Each language shows a date and a date-time one way everywhere, day first and on a 24-hour
clock: English as in Britain, Spanish and Polish as people there write them. The long
(DATE_FORMAT) and short (SHORT_DATE_FORMAT) names are the same on purpose, so a template that
asks for either shows the same thing. Input formats are left to Django's own locale files."""
