"""The statutory clock moves from `cases` to its own app, with no data moved.

State: the models are created here as they were in `cases` (cases.0012 deletes them there).
Database: the tables keep their rows and are renamed cases_* -> limits_*; the content types
follow, so permissions and admin history stay attached to the same models.
"""



import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ['limitrule', 'workingday', 'workingdayoverride', 'excludedperiod', 'extension', 'hiddenoverrunflag', 'extensionstep']


def move_content_types(apps, schema_editor, source="cases", target="limits"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label=source, model__in=MODELS).update(
        app_label=target
    )


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="limits", target="cases")



class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cases', '0010_open_division_lines_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='LimitRule',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, verbose_name='name')),
                    ('category', models.CharField(choices=[('civil', 'Civil'), ('criminal', 'Criminal'), ('administrative', 'Administrative'), ('enforcement', 'Enforcement'), ('other', 'Other')], max_length=20, verbose_name='category')),
                    ('stage', models.CharField(choices=[('first_instance', 'First instance'), ('second_instance', 'Second instance'), ('special', 'Special procedure'), ('retrial_review', 'Retrial petition review'), ('retrial', 'Retrial'), ('enforcement', 'Enforcement'), ('preservation', 'Preservation'), ('enforcement_objection', 'Enforcement objection'), ('enforcement_review', 'Enforcement review'), ('commutation', 'Commutation and parole'), ('non_litigation', 'Non-litigation review'), ('bankruptcy', 'Bankruptcy'), ('compensation', 'State compensation'), ('judicial_aid', 'Judicial aid'), ('other', 'Other')], max_length=30, verbose_name='stage')),
                    ('procedure', models.CharField(blank=True, help_text='Empty: any procedure not covered by another row.', max_length=20, verbose_name='procedure')),
                    ('variant', models.CharField(blank=True, choices=[('', 'As the procedure says'), ('ruling_appeal', 'Appeal against a ruling'), ('private_prosecution', 'Private prosecution, accused not detained')], max_length=30, verbose_name='variant')),
                    ('base_length', models.PositiveSmallIntegerField(verbose_name='base limit')),
                    ('base_unit', models.CharField(choices=[('months', 'months'), ('days', 'days')], max_length=6, verbose_name='unit')),
                    ('request_lead_days', models.PositiveSmallIntegerField(default=10, help_text='An extension should be requested at least this many days before the deadline.', verbose_name='request lead days')),
                    ('active', models.BooleanField(default=True, verbose_name='active')),
                ],
                options={
                    'db_table': 'cases_limitrule',
                    'verbose_name': 'time-limit rule',
                    'verbose_name_plural': 'time-limit rules',
                    'ordering': ['category', 'stage', 'procedure', 'variant'],
                    'constraints': [models.UniqueConstraint(condition=models.Q(('active', True)), fields=('category', 'stage', 'procedure', 'variant'), name='limit_rule_unique_active'), models.CheckConstraint(condition=models.Q(('base_length__gt', 0)), name='limit_rule_base_positive')],
                },
            ),
            migrations.CreateModel(
                name='WorkingDay',
                fields=[
                    ('day', models.DateField(primary_key=True, serialize=False, verbose_name='day')),
                    ('is_working', models.BooleanField(verbose_name='working day')),
                    ('source', models.CharField(choices=[('official', 'Official calendar'), ('provisional', 'Weekends only (provisional)'), ('override', 'Override')], max_length=12, verbose_name='source')),
                    ('name', models.CharField(blank=True, help_text='Holiday name, if any.', max_length=50, verbose_name='name')),
                ],
                options={
                    'db_table': 'cases_workingday',
                    'verbose_name': 'calendar day',
                    'verbose_name_plural': 'calendar days',
                    'ordering': ['day'],
                    'indexes': [models.Index(condition=models.Q(('is_working', True)), fields=['day'], name='working_day_next')],
                },
            ),
            migrations.CreateModel(
                name='WorkingDayOverride',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('day', models.DateField(unique=True, verbose_name='day')),
                    ('is_working', models.BooleanField(verbose_name='working day')),
                    ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                    ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'cases_workingdayoverride',
                    'verbose_name': 'calendar override',
                    'verbose_name_plural': 'calendar overrides',
                    'ordering': ['day'],
                },
            ),
            migrations.CreateModel(
                name='ExcludedPeriod',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('reason_code', models.CharField(choices=[('public_notice', 'Public notice service'), ('appraisal', 'Expert appraisal'), ('audit_valuation', 'Audit or valuation'), ('jurisdiction_objection', 'Jurisdiction objection'), ('suspension', 'Suspension'), ('settlement', 'Settlement period'), ('deferred_enforcement', 'Deferred enforcement'), ('auction', 'Auction')], max_length=30, verbose_name='reason')),
                    ('start', models.DateField(verbose_name='first day')),
                    ('end', models.DateField(blank=True, help_text='Empty while the period runs.', null=True, verbose_name='last day')),
                    ('reason', models.TextField(blank=True, verbose_name='explanation')),
                    ('document_ref', models.CharField(blank=True, max_length=200, verbose_name='document reference')),
                    ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                    ('reviewed_on', models.DateField(blank=True, help_text='When a running suspension was last reviewed.', null=True, verbose_name='last reviewed')),
                    ('awaited_case', models.ForeignKey(blank=True, help_text='For a suspension waiting for another case: closing that case resumes this one.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cases.case', verbose_name='awaited case')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='excluded_periods', to='cases.case', verbose_name='case')),
                    ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                ],
                options={
                    'db_table': 'cases_excludedperiod',
                    'verbose_name': 'excluded period',
                    'verbose_name_plural': 'excluded periods',
                    'ordering': ['case', 'start', 'id'],
                    'indexes': [models.Index(condition=models.Q(('end__isnull', True)), fields=['reason_code', 'start'], name='excluded_open')],
                    'constraints': [models.CheckConstraint(condition=models.Q(('end__isnull', True), ('end__gte', models.F('start')), _connector='OR'), name='excluded_period_end_not_before_start'), models.UniqueConstraint(condition=models.Q(('end__isnull', True)), fields=('case', 'reason_code'), name='excluded_period_one_open_per_kind')],
                },
            ),
            migrations.CreateModel(
                name='Extension',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('step', models.PositiveSmallIntegerField(help_text='1 for the first extension, 2 for the second …', verbose_name='step')),
                    ('length', models.PositiveSmallIntegerField(verbose_name='length')),
                    ('unit', models.CharField(choices=[('months', 'months'), ('days', 'days')], default='months', max_length=6, verbose_name='unit')),
                    ('reason', models.TextField(verbose_name='reason')),
                    ('status', models.CharField(choices=[('requested', 'Requested'), ('approved', 'Approved'), ('refused', 'Refused')], default='requested', max_length=10, verbose_name='status')),
                    ('requested_on', models.DateField(verbose_name='requested on')),
                    ('late_request', models.BooleanField(default=False, help_text="Requested later than the rule's lead days before the deadline.", verbose_name='late request')),
                    ('by_higher_court', models.BooleanField(default=False, help_text='Recorded here; decided by the higher court.', verbose_name='decided by a higher court')),
                    ('decided_on', models.DateField(blank=True, null=True, verbose_name='decided on')),
                    ('document_ref', models.CharField(blank=True, max_length=200, verbose_name='document reference')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extensions', to='cases.case', verbose_name='case')),
                    ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                    ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                ],
                options={
                    'db_table': 'cases_extension',
                    'verbose_name': 'extension',
                    'verbose_name_plural': 'extensions',
                    'ordering': ['case', 'step', 'id'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('length__gt', 0)), name='extension_length_positive'), models.UniqueConstraint(condition=models.Q(('status', 'approved')), fields=('case', 'step'), name='extension_one_approved_per_step'), models.UniqueConstraint(condition=models.Q(('status', 'requested')), fields=('case',), name='extension_one_pending_per_case'), models.CheckConstraint(condition=models.Q(models.Q(('decided_on__isnull', True), ('status', 'requested')), models.Q(('status__in', ['approved', 'refused']), ('decided_on__isnull', False)), _connector='OR'), name='extension_decision_matches_status'), models.CheckConstraint(condition=models.Q(('decided_on__isnull', True), ('decided_on__gte', models.F('requested_on')), _connector='OR'), name='extension_decided_after_request')],
                },
            ),
            migrations.CreateModel(
                name='HiddenOverrunFlag',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('rule', models.CharField(choices=[('filled_by_exclusions', 'Kept inside its limit by excluded periods'), ('many_suspensions', 'Many or overlapping suspensions'), ('undocumented', 'Excluded period without explanation or document'), ('stale_suspension', 'Suspension running without review')], max_length=30, verbose_name='rule')),
                    ('first_flagged_on', models.DateField(verbose_name='first flagged')),
                    ('last_seen_on', models.DateField(verbose_name='last seen')),
                    ('cleared_on', models.DateField(blank=True, null=True, verbose_name='cleared')),
                    ('evidence', models.JSONField(blank=True, default=dict, verbose_name='evidence')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hidden_overrun_flags', to='cases.case', verbose_name='case')),
                ],
                options={
                    'db_table': 'cases_hiddenoverrunflag',
                    'verbose_name': 'hidden-overrun flag',
                    'verbose_name_plural': 'hidden-overrun flags',
                    'ordering': ['-first_flagged_on', 'id'],
                    'constraints': [models.UniqueConstraint(condition=models.Q(('cleared_on__isnull', True)), fields=('case', 'rule'), name='hidden_flag_one_running'), models.CheckConstraint(condition=models.Q(('cleared_on__isnull', True), ('cleared_on__gte', models.F('first_flagged_on')), _connector='OR'), name='hidden_flag_cleared_after_flagged')],
                },
            ),
            migrations.CreateModel(
                name='ExtensionStep',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('order', models.PositiveSmallIntegerField(verbose_name='step')),
                    ('approver', models.CharField(choices=[('president', 'Court president'), ('higher_court', 'Higher court'), ('high_court', 'High court'), ('supreme_court', "Supreme People's Court")], max_length=20, verbose_name='approved by')),
                    ('max_length', models.PositiveSmallIntegerField(blank=True, help_text='Empty: no fixed maximum (decided by the approver).', null=True, verbose_name='maximum length')),
                    ('unit', models.CharField(choices=[('months', 'months'), ('days', 'days')], default='months', max_length=6, verbose_name='unit')),
                    ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='limits.limitrule', verbose_name='rule')),
                ],
                options={
                    'db_table': 'cases_extensionstep',
                    'verbose_name': 'extension step',
                    'verbose_name_plural': 'extension steps',
                    'ordering': ['rule', 'order'],
                    'constraints': [models.UniqueConstraint(fields=('rule', 'order'), name='extension_step_unique'), models.CheckConstraint(condition=models.Q(('order__gte', 1)), name='extension_step_order_positive')],
                },
            ),
    
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.AlterModelTable(name='limitrule', table=None),
        migrations.AlterModelTable(name='workingday', table=None),
        migrations.AlterModelTable(name='workingdayoverride', table=None),
        migrations.AlterModelTable(name='excludedperiod', table=None),
        migrations.AlterModelTable(name='extension', table=None),
        migrations.AlterModelTable(name='hiddenoverrunflag', table=None),
        migrations.AlterModelTable(name='extensionstep', table=None),
    ]
