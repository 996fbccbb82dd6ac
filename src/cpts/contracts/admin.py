from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Contract, Evaluation, Indicator, LetterOfIntent, Payment

for model in (Contract, Evaluation, Indicator, LetterOfIntent, Payment):
    admin.site.register(model, SimpleHistoryAdmin)
