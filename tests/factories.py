"""Factories for tests. Dates are explicit wherever a test reasons about them."""

import datetime as dt

import factory
from django.contrib.auth.models import Group

from cases import ageing
from cases.models import Case, Court, Division, DivisionKind, User


class CourtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Court
        django_get_or_create = ("code",)

    name = "盘州市人民法院"
    code = "黔0281"


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    court = factory.SubFactory(CourtFactory)
    code = factory.Sequence(lambda n: f"div-{n}")
    name = factory.Sequence(lambda n: f"民{n}庭")
    kind = DivisionKind.CIVIL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"法官{n}")
    court = factory.SubFactory(CourtFactory)
    division = factory.SubFactory(DivisionFactory, court=factory.SelfAttribute("..court"))
    password = factory.django.Password("pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=r)[0] for r in extracted))
            self.save()


class CaseFactory(factory.django.DjangoModelFactory):
    """A case written straight to the table (no service, no event): for setting up state."""

    class Meta:
        model = Case

    court = factory.SubFactory(CourtFactory)
    division = factory.SubFactory(DivisionFactory, court=factory.SelfAttribute("..court"))
    handler = factory.SubFactory(
        UserFactory, court=factory.SelfAttribute("..court"), division=factory.SelfAttribute("..division")
    )
    filed_on = dt.date(2024, 3, 15)
    year = factory.LazyAttribute(lambda o: o.filed_on.year)
    court_code = factory.LazyAttribute(lambda o: o.court.code)
    case_type = "民初"
    seq = factory.Sequence(lambda n: n + 1)
    case_number = factory.LazyAttribute(lambda o: f"（{o.year}）{o.court_code}{o.case_type}{o.seq}号")
    category = "civil"
    stage = "first_instance"
    procedure = "ordinary"
    cause = "民间借贷纠纷"
    parties = "张三诉李四"
    status = "open"
    closure_method = ""
    line_6m = factory.LazyAttribute(lambda o: ageing.line_date(o.filed_on, 6))
    line_12m = factory.LazyAttribute(lambda o: ageing.line_date(o.filed_on, 12))
    line_15m = factory.LazyAttribute(lambda o: ageing.line_date(o.filed_on, 15))
