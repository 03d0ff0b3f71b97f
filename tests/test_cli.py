"""The `kartoteka` command: init, createuser, token create, serve, worker, demo."""

import io
import os
import subprocess
import sys

import pytest
from django.db.models import Q

from kartoteka.accounts.models import ApiToken, User
from kartoteka.accounts.services import hash_token
from kartoteka.activity.models import Activity
from kartoteka.cli import main
from kartoteka.commerce.models import Coupon, EventLine, ExternalEvent, Totals
from kartoteka.consents.models import ConsentEntry, ConsentState
from kartoteka.contacts import detail_columns
from kartoteka.contacts.models import Contact, ContactEmail, PropertyDefinition
from kartoteka.core import events
from kartoteka.deals.models import Deal
from kartoteka.deals.queries import visible_deals
from kartoteka.deals.services import DEFAULT_STAGES
from kartoteka.mailing.models import MailingList, OutgoingEmail, Subscription
from kartoteka.segments import services as segment_services
from kartoteka.segments.models import Segment

pytestmark = pytest.mark.django_db


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refuses before a handler runs
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_the_first_admin_once(capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        "init",
        "--admin",
        "boss",
        "--password-stdin",
        stdin="s3cret-pass\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert User.objects.get(username="boss").role == "admin"
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "admin exists" in out


def test_init_without_a_name_explains_what_to_do(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "init")
    assert code == 2
    assert "--admin" in err


def test_createuser_with_password_from_stdin(capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        "createuser",
        "marta",
        "--role",
        "sales",
        "--password-stdin",
        stdin="long-enough-pass\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert User.objects.get(username="marta").check_password("long-enough-pass")


def test_createuser_with_unknown_role_fails(capsys):
    code, _, err = run(capsys, "createuser", "marta", "--role", "boss")
    assert code == 2
    assert "invalid choice" in err


def test_createuser_with_taken_name_fails_clearly(capsys, sales):
    code, _, err = run(capsys, "createuser", "SERGIO", "--role", "sales")
    assert code == 2
    assert "taken" in err


def test_token_create_prints_only_the_token_and_stores_its_hash(capsys, sales):
    code, out, _ = run(capsys, "token", "create", "sergio")
    token = out.strip()
    assert code == 0
    assert "\n" not in token
    assert ApiToken.objects.filter(user=sales, key_hash=hash_token(token)).exists()
    assert not ApiToken.objects.filter(key_hash=token).exists()


def test_token_for_unknown_user_fails(capsys):
    code, _, err = run(capsys, "token", "create", "nobody")
    assert code == 2
    assert "nobody" in err


def test_unknown_command_fails(capsys):
    code, _, err = run(capsys, "fly")
    assert code == 2
    assert "invalid choice" in err


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_with_a_bad_port_fails(capsys, port):
    code, _, err = run(capsys, "serve", "--port", port)
    assert code == 2
    assert "--port" in err


def test_serve_runs_waitress_on_the_given_address(capsys, monkeypatch):
    calls = {}
    monkeypatch.setattr("waitress.serve", lambda app, **kw: calls.update(kw))
    argv = ("serve", "--host", "0.0.0.0", "--port", "8123", "--server", "waitress")
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert (calls["host"], calls["port"]) == ("0.0.0.0", 8123)
    assert "http://0.0.0.0:8123/" in out


def _serving_with_gunicorn(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(
        "kartoteka.core.cli._serve_with_gunicorn",
        lambda app, host, port, count: calls.append((host, port, count)),
    )
    monkeypatch.setattr("waitress.serve", lambda app, **kw: pytest.fail("waitress served"))
    return calls


def test_serve_serves_the_wsgi_application_the_settings_name(capsys, monkeypatch):
    # kartoteka.wsgi answers the tracking collector's hits ahead of Django's stack.
    from kartoteka.wsgi import application

    served = []
    monkeypatch.setattr(
        "kartoteka.core.cli._serve_with_gunicorn", lambda app, *args: served.append(app)
    )
    code, _out, _err = run(capsys, "serve", "--port", "8125", "--no-worker")
    assert code == 0
    assert served == [application]


def test_serve_runs_a_gunicorn_process_per_core_by_default(capsys, monkeypatch):
    calls = _serving_with_gunicorn(monkeypatch)
    monkeypatch.setattr("kartoteka.core.cli.cpu_cores", lambda: 6)
    code, out, _ = run(capsys, "serve", "--port", "8124", "--no-worker")
    assert code == 0
    assert calls == [("127.0.0.1", 8124, 6)]
    assert "6 web processes" in out


def test_serve_runs_as_many_processes_as_asked(capsys, monkeypatch):
    calls = _serving_with_gunicorn(monkeypatch)
    assert run(capsys, "serve", "--processes", "3", "--no-worker")[0] == 0
    assert calls[0][2] == 3


@pytest.mark.parametrize("count", ["0", "many", "1000"])
def test_serve_with_a_bad_number_of_processes_fails(capsys, count):
    code, _, err = run(capsys, "serve", "--processes", count)
    assert code == 2
    assert "--processes" in err


def test_serve_falls_back_to_waitress_where_gunicorn_is_missing(capsys, monkeypatch):
    calls = {}
    real = __import__("importlib.util", fromlist=["find_spec"]).find_spec
    monkeypatch.setattr(
        "kartoteka.core.cli.importlib.util.find_spec",
        lambda name, *a: None if name == "gunicorn" else real(name, *a),
    )
    monkeypatch.setattr("waitress.serve", lambda app, **kw: calls.update(kw))
    assert run(capsys, "serve", "--no-worker")[0] == 0
    assert calls["threads"] == 8


def test_serve_allows_requests_to_the_host_it_listens_on(capsys, monkeypatch, settings):
    monkeypatch.delenv("KARTOTEKA_ALLOWED_HOSTS", raising=False)
    settings.ALLOWED_HOSTS = ["localhost"]
    _serving_with_gunicorn(monkeypatch)
    assert run(capsys, "serve", "--host", "crm.example.com", "--no-worker")[0] == 0
    assert settings.ALLOWED_HOSTS == ["localhost", "crm.example.com"]


def test_serve_on_every_address_allows_this_machines_name(capsys, monkeypatch, settings):
    monkeypatch.delenv("KARTOTEKA_ALLOWED_HOSTS", raising=False)
    monkeypatch.setattr("kartoteka.core.cli.socket.gethostname", lambda: "crm-box")
    settings.ALLOWED_HOSTS = ["localhost"]
    _serving_with_gunicorn(monkeypatch)
    assert run(capsys, "serve", "--host", "0.0.0.0", "--no-worker")[0] == 0
    assert "crm-box" in settings.ALLOWED_HOSTS and "0.0.0.0" not in settings.ALLOWED_HOSTS


def test_serve_keeps_the_allowed_hosts_that_were_set(capsys, monkeypatch, settings):
    monkeypatch.setenv("KARTOTEKA_ALLOWED_HOSTS", "crm.example.com")
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    _serving_with_gunicorn(monkeypatch)
    assert run(capsys, "serve", "--host", "10.0.0.5", "--no-worker")[0] == 0
    assert settings.ALLOWED_HOSTS == ["crm.example.com"]


class FakeProcess:
    def __init__(self, args):
        self.args, self.stopped = args, False

    def terminate(self):
        self.stopped = True

    def wait(self, timeout=None):
        return 0


@pytest.mark.parametrize("argv", [("serve",), ("demo", "--contacts", "0")])
def test_serve_runs_a_background_worker_while_it_serves(capsys, monkeypatch, settings, argv):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started, serving = [], []
    monkeypatch.setattr(
        "kartoteka.core.cli.subprocess.Popen",
        lambda args: started.append(FakeProcess(args)) or started[-1],
    )
    monkeypatch.setattr(
        "kartoteka.core.cli._serve_with_gunicorn",
        lambda *args: serving.append(started[0].stopped),
    )
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert started[0].args == [
        sys.executable,
        "-m",
        "kartoteka",
        "worker",
        "--with-parent",
        str(os.getpid()),
    ]
    # Running while the app serves, stopped when it ends.
    assert serving == [False] and started[0].stopped
    assert "background worker" in out


def test_serve_without_a_worker_starts_none(capsys, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr("kartoteka.core.cli.subprocess.Popen", lambda args: pytest.fail("started"))
    monkeypatch.setattr("kartoteka.core.cli._serve_with_gunicorn", lambda *args: None)
    assert run(capsys, "serve", "--no-worker")[0] == 0


def test_the_worker_command_runs_as_a_python_module():
    done = subprocess.run(
        [sys.executable, "-m", "kartoteka", "worker", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "--batch" in done.stdout


def test_worker_refuses_when_tasks_run_inline(capsys, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    code, _, err = run(capsys, "worker")
    assert code == 2
    assert "immediate" in err


def test_worker_batch_runs_the_database_queue(capsys, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    called = []
    real = __import__("django.core.management", fromlist=["call_command"]).call_command

    def fake_call(name, *args, **kwargs):
        if name == "db_worker":
            called.append(kwargs)
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr("kartoteka.core.cli.call_command", fake_call)
    assert run(capsys, "worker", "--batch")[0] == 0
    assert called == [{"batch": True}]


@pytest.mark.parametrize("count", ["-5", "many", "2000000"])
def test_demo_with_a_bad_count_fails(capsys, count):
    code, _, err = run(capsys, "demo", "--contacts", count, "--no-serve")
    assert code == 2
    assert "--contacts" in err
    assert not Contact.objects.exists()


def test_demo_loads_contacts_with_details_and_prints_logins(capsys):
    code, out, _ = run(capsys, "demo", "--contacts", "120", "--no-serve")
    assert code == 0
    assert Contact.objects.count() == 120
    assert "admin login: admin / " in out
    assert "sales login: sales / " in out
    assert PropertyDefinition.objects.count() >= 5
    assert Contact.objects.filter(status="won", won_at__isnull=False).exists()
    assert Contact.objects.exclude(properties={}).exists()
    assert Contact.objects.filter(company__isnull=False).exists()
    assert set(Contact.objects.values_list("country", flat=True)) == {"ES", "PL", "US"}
    assert Activity.objects.filter(kind="created").count() == 120
    # every contact has exactly one primary e-mail, mirrored on the contact row
    primaries = dict(ContactEmail.objects.filter(is_primary=True).values_list("contact", "email"))
    assert primaries == dict(Contact.objects.values_list("pk", "email"))


def test_demo_run_twice_adds_nothing_the_second_time(capsys):
    run(capsys, "demo", "--contacts", "60", "--no-serve")
    code, out, _ = run(capsys, "demo", "--contacts", "60", "--no-serve")
    assert code == 0
    assert Contact.objects.count() == 60
    assert "0 contacts added, 60 already there" in out


@pytest.fixture
def details_left_unindexed():
    # Indexing the demo's custom details alters the contact table, which PostgreSQL refuses
    # inside the one transaction a test runs in; the example segments need none of it.
    events.unsubscribe("property.defined", detail_columns.on_property_defined)
    yield
    events.subscribe("property.defined", detail_columns.on_property_defined)


def test_demo_opens_with_shared_example_segments_once(
    capsys, django_capture_on_commit_callbacks, details_left_unindexed
):
    with django_capture_on_commit_callbacks(execute=True):
        run(capsys, "demo", "--contacts", "200", "--no-serve")
    segments = Segment.objects.filter(owner__username="admin", is_shared=True)
    expected = sorted(name for name, _document in segment_services.DEMO_SEGMENTS)
    assert sorted(segments.values_list("name", flat=True)) == expected
    assert all(s.counted_at is not None for s in segments)
    assert all(0 < s.count < 200 for s in segments), [(s.name, s.count) for s in segments]
    with django_capture_on_commit_callbacks(execute=True):
        run(capsys, "demo", "--contacts", "200", "--no-serve")
    assert Segment.objects.count() == len(segment_services.DEMO_SEGMENTS)


@pytest.fixture
def full_demo(capsys, django_capture_on_commit_callbacks, details_left_unindexed):
    """A small demo with every app's part (the apps fill theirs on "demo.loaded")."""
    with django_capture_on_commit_callbacks(execute=True):
        run(capsys, "demo", "--contacts", "200", "--no-serve")


def test_demo_fills_the_default_pipeline_with_deals_in_every_stage(full_demo):
    deals = Deal.objects.all()
    assert 5 <= deals.count() <= 20
    assert set(deals.values_list("stage__key", flat=True)) == {key for key, *_ in DEFAULT_STAGES}
    assert not deals.filter(contact_links__isnull=True).exists()
    assert set(deals.values_list("owner__username", flat=True)) <= {"admin", "sales", "sales2"}
    assert not deals.filter(amount__lte=0).exists()


def test_demo_deals_of_a_sales_user_are_those_of_their_contacts(full_demo):
    sales = User.objects.get(username="sales")
    seen = set(visible_deals(sales).values_list("pk", flat=True))
    theirs = set(
        Deal.objects.filter(Q(owner=sales) | Q(contact_links__contact__owners=sales)).values_list(
            "pk", flat=True
        )
    )
    assert seen == theirs
    assert 0 < len(seen) < Deal.objects.count()


def test_demo_records_purchases_with_lines_refunds_coupons_and_totals(full_demo):
    purchases = ExternalEvent.objects.filter(type="purchase")
    assert 20 <= purchases.values("contact").distinct().count() <= 50
    assert EventLine.objects.filter(event__in=purchases).exists()
    assert ExternalEvent.objects.filter(type="refund").exists()
    assert Coupon.objects.filter(status="used").exists()
    buyers = set(purchases.values_list("contact", flat=True))
    assert set(Totals.objects.values_list("contact", flat=True)) == buyers
    assert Totals.objects.filter(total__gt=0).count() > len(buyers) // 2


def test_demo_records_email_and_sms_consents_with_a_few_withdrawals(full_demo):
    states = ConsentState.objects.filter(purpose="marketing")
    email = states.filter(channel="email", status="granted").count()
    sms = states.filter(channel="sms", status="granted").count()
    assert 90 <= email <= 150
    assert 20 <= sms <= 60
    assert states.filter(status="withdrawn").exists()
    assert not ConsentEntry.objects.exclude(source="import").exists()


def test_demo_subscribes_consenting_contacts_to_lists_without_sending(full_demo):
    subscriptions = Subscription.objects.filter(status="subscribed")
    names = set(subscriptions.values_list("mailing_list__name", flat=True))
    assert names == {"Newsletter", "Product updates"}
    consenting = set(
        ConsentState.objects.filter(
            channel="email", purpose="marketing", status="granted"
        ).values_list("contact", flat=True)
    )
    assert set(subscriptions.values_list("contact", flat=True)) <= consenting
    assert not OutgoingEmail.objects.exists()


def test_demo_run_twice_adds_no_app_data_the_second_time(
    full_demo, capsys, django_capture_on_commit_callbacks
):
    models = [Deal, ExternalEvent, Coupon, ConsentEntry, MailingList, Subscription]
    before = [m.objects.count() for m in models]
    with django_capture_on_commit_callbacks(execute=True):
        run(capsys, "demo", "--contacts", "200", "--no-serve")
    assert [m.objects.count() for m in models] == before


def test_demo_logins_work(capsys):
    out = run(capsys, "demo", "--contacts", "0", "--no-serve")[1]
    password = out.split("sales login: sales / ")[1].split()[0]
    assert User.objects.get(username="sales").check_password(password)


def test_worker_with_rq_runs_an_rq_worker_on_the_default_queue(capsys, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    started = {}

    class FakeWorker:
        def work(self, burst: bool) -> None:
            started["burst"] = burst

    def fake_get_worker(*queues, job_class=None, worker_class=None):
        started["queues"] = queues
        return FakeWorker()

    monkeypatch.setattr("django_rq.get_worker", fake_get_worker)
    assert run(capsys, "worker", "--batch")[0] == 0
    assert started == {"queues": ("default",), "burst": True}
