"""``livedesk points`` and ``livedesk experiments`` as a user runs them: separate processes, exit codes."""

from __future__ import annotations

import json

from sqlalchemy import insert

from livedesk.models import PointsEntry
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from helpers import db_args, livedesk


def test_points_redeem_then_history_then_a_refusal_writes_nothing(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        s.execute(insert(PointsEntry).values(customer_id=cid, delta=1300, reason="manual", ref="seed"))
    db = db_args(store)
    store.dispose()
    done = livedesk(*db, "points", "redeem", str(cid), "priority_shipping", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["balance"] == 300
    refused = livedesk(*db, "points", "redeem", str(cid), "priority_shipping", "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"] == "insufficient"
    assert "costs 1000 points; the customer has 300" in refused.stderr
    history = livedesk(*db, "points", "history", str(cid))
    assert history.returncode == 0
    assert history.stdout.splitlines()[0] == "balance 300"
    assert len(history.stdout.splitlines()) == 3  # the balance, the seed and the one redemption
    assert "-1000  redeem" in history.stdout and "优先发货" in history.stdout
    missing = livedesk(*db, "points", "history", "999")
    assert missing.returncode == 1 and "customer 999 does not exist" in missing.stderr


def test_experiments_report_prints_each_variant_and_its_json(store):
    from sqlalchemy import select

    from livedesk.models import MessageTemplate
    from livedesk.services import templates
    from livedesk.services.loyalty import experiments
    from livedesk.services.loyalty.experiments import VariantSpec

    with store.write() as s:
        templates.ensure_default_templates(s)
        templates.save(s, "followup.birthday_b", "{称呼}生日快乐！{优惠券}已放进您的账户", name="生日 B")
        ids = dict(s.execute(select(MessageTemplate.key, MessageTemplate.id)).all())
        test_id = experiments.create(s, "生日话术", "birthday", "template",
                                     [VariantSpec("A", template_id=ids["followup.birthday"]),
                                      VariantSpec("B", template_id=ids["followup.birthday_b"])])
    db = db_args(store)
    store.dispose()
    text = livedesk(*db, "experiments", "report", str(test_id))
    assert text.returncode == 0, text.stderr
    assert "生日话术" in text.stdout and "  A " in text.stdout and "control" in text.stdout
    data = json.loads(livedesk(*db, "experiments", "report", str(test_id), "--json").stdout)
    assert [v["label"] for v in data["variants"]] == ["A", "B"] and data["variants"][0]["n"] == 0
    assert livedesk(*db, "experiments", "report", "77").returncode == 1
