#!/usr/bin/env python3
"""An independent reading of messages Noroshi sent, for the delivery tests.

Usage: verify_mail.py RSA_SELECTOR RSA_P ED_SELECTOR ED_P FILE...

For each .eml file prints one JSON line: every DKIM signature verified by dkimpy (with the DNS
lookup answered from the given p= values), and the To, Subject and plain-text body as Python's
email package decodes them. Nothing here shares code with Noroshi.
"""

import json
import sys

import dkim
from email import message_from_bytes, policy


def main() -> None:
    rsa_sel, rsa_p, ed_sel, ed_p = sys.argv[1:5]
    records = {
        rsa_sel: f"v=DKIM1; k=rsa; p={rsa_p}",
        ed_sel: f"v=DKIM1; k=ed25519; p={ed_p}",
    }

    def dns(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        selector = name.split("._domainkey.")[0]
        record = records.get(selector)
        return record.encode() if record else None

    for path in sys.argv[5:]:
        raw = open(path, "rb").read()
        d = dkim.DKIM(raw)
        signatures = sum(1 for line in raw.split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
        verified = []
        for i in range(signatures):
            try:
                verified.append(bool(d.verify(idx=i, dnsfunc=dns)))
            except Exception as e:  # a verifier error is a failed verification
                verified.append(f"error: {e}")
        msg = message_from_bytes(raw, policy=policy.default)
        body = msg.get_body(("plain",))
        print(json.dumps({
            "file": path,
            "dkim": verified,
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "text": body.get_content() if body is not None else None,
            "html": msg.get_body(("html",)) is not None,
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
