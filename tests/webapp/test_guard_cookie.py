"""The session cookie never carries a raw recruiting id; the consent page names the id it will use."""

import json

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from scl_testing import Journey

RAW = "5f1e2d3c4b5a69788796a5b4"


def cookie_contents(app, client) -> str:
    """Decode the signed (not encrypted) session cookie as anyone holding it could."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    interface = SecureCookieSessionInterface()
    serializer = URLSafeTimedSerializer(app.secret_key, salt=interface.salt, serializer=interface.serializer,
                                        signer_kwargs={"key_derivation": interface.key_derivation,
                                                       "digest_method": interface.digest_method})
    return json.dumps(serializer.loads(cookie.value))


def test_no_raw_recruiting_id_in_the_cookie_before_consent_after_consent_and_after_withdrawal(app):
    walker = Journey(app, "demo", f"?PROLIFIC_PID={RAW}&SESSION_ID=sess{RAW}&STUDY_ID=study{RAW}")
    walker.get(walker.query)
    assert RAW not in cookie_contents(app, walker.client)
    assert f"…{RAW[-4:]}" in walker.page  # the visitor sees which id a link would use
    walker.consent()
    assert RAW not in cookie_contents(app, walker.client)
    assert walker.participant().recruit_id_hash  # the id was still bound, as a keyed hash
    walker.get("/withdraw")
    walker.post("/withdraw", {"confirm": "yes"})
    assert RAW not in cookie_contents(app, walker.client)
